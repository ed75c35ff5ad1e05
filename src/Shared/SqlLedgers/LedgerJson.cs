using System.Text.Json.Serialization;

namespace TokenAccounting;

/// <summary>Source-generated JSON for the stage-duration column (no reflection, trimming-safe).</summary>
[JsonSerializable(typeof(Dictionary<string, double>))]
internal sealed partial class LedgerJson : JsonSerializerContext;
