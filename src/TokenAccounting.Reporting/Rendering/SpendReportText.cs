using System.Text;

namespace TokenAccounting.Reporting;

/// <summary>Renders a <see cref="SpendReport"/> as plain-text tables for a terminal or a log (monospace, no colour).</summary>
public static class SpendReportText
{
    /// <summary>Writes every section of the report as an aligned text table.</summary>
    /// <param name="report">The report.</param>
    /// <param name="writer">Where to write.</param>
    public static void Write(SpendReport report, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(writer);
        var first = true;
        foreach (var table in SpendReportTables.Create(report))
        {
            if (!first)
            {
                writer.WriteLine();
            }

            first = false;
            WriteTable(table, writer);
        }
    }

    /// <summary>Renders the report to a string.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The text.</returns>
    public static string Render(SpendReport report)
    {
        using var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        Write(report, writer);
        return writer.ToString();
    }

    private static void WriteTable(ReportTable table, TextWriter writer)
    {
        var widths = table.Columns.Select(c => c.Length).ToArray();
        foreach (var row in table.Rows)
        {
            for (var i = 0; i < widths.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        writer.WriteLine(table.Title);
        writer.WriteLine(Line(table.Columns, widths, table.NumericColumns));
        writer.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in table.Rows)
        {
            writer.WriteLine(Line(row, widths, table.NumericColumns));
        }
    }

    private static string Line(IReadOnlyList<string> cells, int[] widths, IReadOnlyList<bool> numeric)
    {
        var line = new StringBuilder();
        for (var i = 0; i < widths.Length; i++)
        {
            if (i > 0)
            {
                line.Append("  ");
            }

            line.Append(numeric[i] ? cells[i].PadLeft(widths[i]) : cells[i].PadRight(widths[i]));
        }

        return line.ToString().TrimEnd();
    }
}
