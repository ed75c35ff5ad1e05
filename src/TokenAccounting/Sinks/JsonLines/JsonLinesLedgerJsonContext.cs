using System.Text.Json.Serialization;

namespace TokenAccounting;

/// <summary>
/// Source-generated (reflection-free, trimming-safe) serialization of <see cref="JsonLinesLedgerLine"/> and
/// <see cref="JsonLinesLedgerRollupLine"/>: the reader parses lines with it; the writer's detail lines are tested
/// against it and its rollup lines are written with it.
/// </summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(JsonLinesLedgerLine))]
[JsonSerializable(typeof(JsonLinesLedgerRollupLine))]
internal sealed partial class JsonLinesLedgerJsonContext : JsonSerializerContext
{
}
