using System.Text.Json.Serialization;

namespace TokenAccounting;

/// <summary>Source-generated JSON for the stage-duration, tags and server-tool-call columns (no reflection, trimming-safe).</summary>
[JsonSerializable(typeof(Dictionary<string, double>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, long>))]
internal sealed partial class LedgerJson : JsonSerializerContext;
