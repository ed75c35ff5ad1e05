namespace TokenAccounting.Tool.Commands;

internal enum OutputFormat
{
    Table,
    Csv,
    Json,
    Html,
}

internal static class OutputFormats
{
    /// <summary>The format asked for, else the one <c>--out</c>'s extension names, else a table.</summary>
    public static OutputFormat Resolve(string? format, string? output, bool allowHtml)
    {
        var resolved = format?.ToLowerInvariant() switch
        {
            null => Path.GetExtension(output ?? string.Empty).ToLowerInvariant() switch
            {
                ".csv" => OutputFormat.Csv,
                ".json" => OutputFormat.Json,
                ".html" or ".htm" => OutputFormat.Html,
                _ => OutputFormat.Table,
            },
            "table" or "text" => OutputFormat.Table,
            "csv" => OutputFormat.Csv,
            "json" => OutputFormat.Json,
            "html" => OutputFormat.Html,
            _ => throw new ToolException($"--format: \"{format}\" is not a format; use table, csv, json{(allowHtml ? " or html" : string.Empty)}.", ExitCodes.Usage),
        };
        if (resolved == OutputFormat.Html && !allowHtml)
        {
            throw new ToolException("--format: html is only for 'report'; use table, csv or json.", ExitCodes.Usage);
        }

        return resolved;
    }

    /// <summary>Writes through <paramref name="write"/> to <paramref name="path"/>, or to stdout when null; a failed file write names the path.</summary>
    public static void Write(ToolConsole console, string? path, Action<TextWriter> write)
    {
        if (path is null)
        {
            write(console.RawOut);
            console.RawOut.Flush();
            return;
        }

        try
        {
            var full = Path.GetFullPath(path);
            if (Path.GetDirectoryName(full) is { } folder && !Directory.Exists(folder))
            {
                throw new ToolException($"{path}: the folder {folder} does not exist.");
            }

            var temporary = full + ".tmp";
            using (var writer = new StreamWriter(temporary, append: false, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false)))
            {
                write(writer);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ToolException($"{path}: cannot write: {e.Message}", inner: e);
        }
    }
}
