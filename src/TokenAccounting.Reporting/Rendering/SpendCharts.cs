using System.Globalization;
using System.Text.RegularExpressions;
using ScottPlot;

namespace TokenAccounting.Reporting;

/// <summary>The report's charts as inline SVG, drawn by ScottPlot on the server: no script, no network, vector print.</summary>
internal static partial class SpendCharts
{
    public const int Width = 760;
    public const int Height = 320;
    public const int MaxSeries = 6;
    public const string OtherSeries = "other models";

    // Okabe–Ito: distinguishable with the common colour-vision deficiencies.
    public static readonly string[] Palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999"];

    /// <summary>The models drawn as their own series (the costliest), the rest summed into <see cref="OtherSeries"/>.</summary>
    public static IReadOnlyList<string> SeriesModels(SpendReport report) =>
        report.ByDayAndModel
            .GroupBy(r => r.Model ?? ReportFormat.None, StringComparer.Ordinal)
            .Select(g => (Model: g.Key, Cost: g.Sum(r => r.Cost?.Total ?? 0m)))
            .OrderByDescending(m => m.Cost).ThenBy(m => m.Model, StringComparer.Ordinal)
            .Take(MaxSeries)
            .Select(m => m.Model)
            .ToList();

    public static string? CostPerDayByModel(SpendReport report, string id, string title)
    {
        var days = report.ByDay.Select(r => r.Date).ToList();
        if (days.Count == 0)
        {
            return null;
        }

        var series = SeriesModels(report);
        var costs = new decimal[days.Count, series.Count + 1];
        foreach (var row in report.ByDayAndModel)
        {
            var day = days.IndexOf(row.Date);
            var index = IndexOf(series, row.Model ?? ReportFormat.None);
            costs[day, index < 0 ? series.Count : index] += row.Cost?.Total ?? 0m;
        }

        var hasOther = Enumerable.Range(0, days.Count).Any(d => costs[d, series.Count] != 0m);
        return Draw(id, title, plot =>
        {
            var bars = new List<Bar>();
            for (var d = 0; d < days.Count; d++)
            {
                var bottom = 0d;
                for (var s = 0; s <= series.Count; s++)
                {
                    var value = (double)costs[d, s];
                    if (value == 0d)
                    {
                        continue;
                    }

                    bars.Add(new Bar { Position = d, ValueBase = bottom, Value = bottom + value, FillColor = Color(s), LineWidth = 0, Size = 0.7 });
                    bottom += value;
                }
            }

            plot.Add.Bars(bars);
            for (var s = 0; s < series.Count; s++)
            {
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s], FillColor = Color(s) });
            }

            if (hasOther)
            {
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = OtherSeries, FillColor = Color(series.Count) });
            }

            plot.ShowLegend(Alignment.UpperLeft);
            var step = Math.Max(1, (int)Math.Ceiling(days.Count / 10d));
            var ticks = Enumerable.Range(0, days.Count).Where(d => d % step == 0).ToArray();
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                [.. ticks.Select(t => (double)t)],
                [.. ticks.Select(t => days[t]?.ToString("MM-dd", CultureInfo.InvariantCulture) ?? string.Empty)]);
            plot.Axes.Margins(bottom: 0);
            plot.YLabel("cost USD");
        });
    }

    public static string? HorizontalBars(string id, string title, IReadOnlyList<(string Label, decimal Value)> items, string valueLabel, int colorIndex)
    {
        if (items.Count == 0 || items.All(i => i.Value == 0m))
        {
            return null;
        }

        return Draw(id, title, plot =>
        {
            var bars = items.Select((item, i) => new Bar
            {
                Position = items.Count - 1 - i,
                Value = (double)item.Value,
                FillColor = Color(colorIndex),
                LineWidth = 0,
                Size = 0.7,
            }).ToList();
            var plottable = plot.Add.Bars(bars);
            plottable.Horizontal = true;
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                [.. items.Select((_, i) => (double)(items.Count - 1 - i))],
                [.. items.Select(i => Shorten(i.Label))]);
            plot.Axes.Margins(left: 0);
            plot.XLabel(valueLabel);
        });
    }

    private static string Shorten(string label) => label.Length <= 28 ? label : label[..27] + "…";

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i], value, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    public static ScottPlot.Color Color(int index) => ScottPlot.Color.FromHex(Palette[Math.Min(index, Palette.Length - 1)]);

    /// <summary>Draws a plot and returns it as an inline, scalable, labelled SVG element; null when the renderer is unavailable.</summary>
    private static string? Draw(string id, string title, Action<Plot> build)
    {
        string svg;
        try
        {
            var plot = new Plot();

            // The system's sans-serif face (the page's font stack is sans-serif too); ScottPlot measures text with it.
            plot.Font.Set(Fonts.Sans);
            build(plot);
            svg = plot.GetSvgXml(Width, Height);
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or BadImageFormatException or EntryPointNotFoundException)
        {
            // No native Skia on this platform: the page keeps its data tables and says the chart is missing.
            return null;
        }

        svg = XmlDeclaration().Replace(svg, string.Empty);

        // Several charts share one page: give each chart's internal ids (clip paths) its own prefix.
        svg = LocalId().Replace(svg, m => m.Groups[1].Value + id + "-" + m.Groups[2].Value);
        var titleId = id + "-title";
        var open = SvgOpen().Match(svg);
        var attributes = $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\" role=\"img\" aria-labelledby=\"{titleId}\" class=\"chart\" id=\"{id}\">"
            + $"<title id=\"{titleId}\">{System.Net.WebUtility.HtmlEncode(title)}</title>";
        return attributes + svg[(open.Index + open.Length)..].Trim();
    }

    [GeneratedRegex(@"^\s*<\?xml[^>]*\?>\s*", RegexOptions.CultureInvariant)]
    private static partial Regex XmlDeclaration();

    [GeneratedRegex(@"(\bid=""|url\(#|href=""#)([^""()]+)", RegexOptions.CultureInvariant)]
    private static partial Regex LocalId();

    [GeneratedRegex(@"<svg\b[^>]*>", RegexOptions.CultureInvariant)]
    private static partial Regex SvgOpen();
}
