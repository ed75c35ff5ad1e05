using System.Text.Json.Serialization;

namespace TokenAccounting;

/// <summary>
/// Source-generated (reflection-free, trimming-safe) serialization of <see cref="JsonLinesLedgerLine"/>: the reader
/// parses lines with it; the writer's output is tested against it.
/// </summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(JsonLinesLedgerLine))]
internal sealed partial class JsonLinesLedgerJsonContext : JsonSerializerContext
{
}
