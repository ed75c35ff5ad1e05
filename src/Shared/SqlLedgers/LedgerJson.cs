using System.Text.Json.Serialization;

namespace TokenAccounting;

/// <summary>Source-generated JSON for the tag and stage-duration columns (no reflection, trimming-safe).</summary>
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, double>))]
internal sealed partial class LedgerJson : JsonSerializerContext;
