using System.Globalization;

namespace TokenAccounting;

/// <summary>A validated <see cref="JsonLinesUsageSinkOptions.PathTemplate"/>, resolved to a full folder path.</summary>
internal sealed class JsonLinesPathTemplate
{
    private const string DateFormat = "yyyy-MM-dd";
    private readonly string _prefix;
    private readonly string _suffix;

    public JsonLinesPathTemplate(string template)
    {
        var full = Path.GetFullPath(template);
        Directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"The path template \"{template}\" has no folder.", nameof(template));
        var fileName = Path.GetFileName(full);
        var at = fileName.IndexOf(JsonLinesUsageSinkOptions.DatePlaceholder, StringComparison.Ordinal);
        _prefix = fileName[..at];
        _suffix = fileName[(at + JsonLinesUsageSinkOptions.DatePlaceholder.Length)..];
    }

    /// <summary>Gets the full path of the folder that holds the daily files.</summary>
    public string Directory { get; }

    public string GetPath(DateOnly date) =>
        Path.Combine(Directory, _prefix + date.ToString(DateFormat, CultureInfo.InvariantCulture) + _suffix);

    /// <summary>Recognizes a daily file of this template by its name and returns its date.</summary>
    public bool TryGetDate(string fileName, out DateOnly date)
    {
        date = default;
        return fileName.Length == _prefix.Length + DateFormat.Length + _suffix.Length
            && fileName.StartsWith(_prefix, StringComparison.Ordinal)
            && fileName.EndsWith(_suffix, StringComparison.Ordinal)
            && DateOnly.TryParseExact(fileName.AsSpan(_prefix.Length, DateFormat.Length), DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out date);
    }
}
