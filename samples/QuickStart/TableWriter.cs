using System.Globalization;

namespace QuickStart;

/// <summary>Prints a plain text table with right-aligned numbers.</summary>
internal static class TableWriter
{
    public static void Write(string title, string[] header, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, header.Length).Select(c => all.Max(r => r[c].Length)).ToArray();
        Console.WriteLine();
        Console.WriteLine(title);
        for (var i = 0; i < all.Count; i++)
        {
            var cells = all[i].Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]));
            Console.WriteLine("  " + string.Join("  ", cells));
            if (i == 0)
            {
                Console.WriteLine("  " + string.Join("  ", widths.Select(w => new string('-', w))));
            }
        }
    }

    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
