namespace TokenAccounting.Reporting;

/// <summary>
/// One section of a report as plain cells: a title, column headers and rows of formatted text, the same for every
/// renderer (text, CSV, the data tables of the HTML page, a console table).
/// </summary>
public sealed class ReportTable
{
    internal ReportTable(string id, string title, IReadOnlyList<string> columns, IReadOnlyList<bool> numeric, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        Id = id;
        Title = title;
        Columns = columns;
        NumericColumns = numeric;
        Rows = rows;
    }

    /// <summary>Gets a stable identifier of the section (for example <c>by-model</c>), usable as an HTML id or a CSV section name.</summary>
    public string Id { get; }

    /// <summary>Gets the section's title.</summary>
    public string Title { get; }

    /// <summary>Gets the column headers.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Gets, per column, whether it holds numbers (right-aligned).</summary>
    public IReadOnlyList<bool> NumericColumns { get; }

    /// <summary>Gets the rows; each has one cell per column.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows { get; }
}
