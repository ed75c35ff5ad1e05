using Spectre.Console;
using TokenAccounting.Reporting;

namespace TokenAccounting.Tool.Commands;

/// <summary>Shows <see cref="ReportTable"/>s as Spectre tables: the same cells as every other format.</summary>
internal static class ConsoleTables
{
    public static void Write(IAnsiConsole console, IReadOnlyList<ReportTable> tables)
    {
        foreach (var source in tables)
        {
            var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(source.Title)}[/]");
            for (var i = 0; i < source.Columns.Count; i++)
            {
                var column = new TableColumn(Markup.Escape(source.Columns[i]));
                table.AddColumn(source.NumericColumns[i] ? column.RightAligned() : column);
            }

            foreach (var row in source.Rows)
            {
                table.AddRow([.. row.Select(Markup.Escape)]);
            }

            console.Write(table);
        }
    }
}
