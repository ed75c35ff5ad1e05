using System.Text.RegularExpressions;
using Markdig;
using Markdig.Extensions.AutoIdentifiers;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace TokenAccounting.Packaging.Tests.Documentation;

/// <summary>How a csharp block is compiled (SNIPPETS conventions 4 and 5).</summary>
public enum SnippetMarker
{
    /// <summary>A file compiled on its own.</summary>
    None,

    /// <summary><c>&lt;!-- snippet: partial --&gt;</c>: a fragment, skipped and counted.</summary>
    Partial,

    /// <summary><c>&lt;!-- snippet: continues --&gt;</c>: compiled together with the previous csharp block.</summary>
    Continues,
}

/// <summary>One fenced csharp block of a page.</summary>
/// <param name="Number">Its position among the page's csharp blocks, from 1.</param>
/// <param name="FenceLine">The 1-based line of its opening fence in the markdown file; snippet line n is markdown line FenceLine + n.</param>
/// <param name="Code">The block's content.</param>
/// <param name="Marker">The marker on the line right before the fence.</param>
public sealed record CodeBlock(int Number, int FenceLine, string Code, SnippetMarker Marker)
{
    /// <summary>The block's first non-blank line, trimmed, to recognize it in a message.</summary>
    public string FirstLine => Code.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";

    /// <summary>"block 3 (line 120: `using TokenAccounting;`)".</summary>
    public string Describe() => $"block {Number} (line {FenceLine}: `{FirstLine}`)";
}

/// <summary>A <c>dotnet add package &lt;Id&gt; [--version V]</c> line of a page's shell blocks.</summary>
public sealed record PackageLine(string Id, string? Version, int Line);

/// <summary>A link of a page: its target as written and its 1-based line.</summary>
public sealed record PageLink(string Url, int Line);

/// <summary>
/// A markdown page read the way the snippet conventions (SNIPPETS) describe it: its fenced csharp blocks with their
/// markers, the packages its shell blocks add, whether it is an ASP.NET Core page (<c>dotnet new web</c>), its links
/// and its headings' anchors (GitHub's slugs). Parsing never throws on content: what breaks a convention is listed in
/// <see cref="Problems"/>.
/// </summary>
public sealed partial class DocumentationPage
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UseAutoIdentifiers(AutoIdentifierOptions.GitHub)
        .UsePipeTables()
        .Build();

    private static readonly string[] CSharpLookalikes = ["cs", "c#", "csharp-interactive", "cshtml", "razor"];

    private DocumentationPage(string name) => Name = name;

    /// <summary>The page's path relative to the repository root, with '/' separators (e.g. <c>docs/pricing.md</c>).</summary>
    public string Name { get; }

    /// <summary>The fenced csharp blocks, in order.</summary>
    public IReadOnlyList<CodeBlock> CSharpBlocks { get; private set; } = [];

    /// <summary>The <c>dotnet add package</c> lines of the page's other fenced blocks.</summary>
    public IReadOnlyList<PackageLine> Packages { get; private set; } = [];

    /// <summary>Whether a fenced block of the page says <c>dotnet new web</c> (or another Web SDK template).</summary>
    public bool IsWeb { get; private set; }

    /// <summary>Breaches of the conventions found while reading (stray or unknown markers, a <c>```cs</c> fence, …).</summary>
    public IReadOnlyList<string> Problems { get; private set; } = [];

    /// <summary>Every link and image target of the page.</summary>
    public IReadOnlyList<PageLink> Links { get; private set; } = [];

    /// <summary>The anchors the page defines: its headings' GitHub slugs and explicit <c>id</c>/<c>name</c> attributes.</summary>
    public IReadOnlySet<string> Anchors { get; private set; } = new HashSet<string>();

    /// <summary>The csharp blocks grouped into compilations: a continues block joins the previous group; partial blocks are left out.</summary>
    public IReadOnlyList<IReadOnlyList<CodeBlock>> Compilations
    {
        get
        {
            var groups = new List<List<CodeBlock>>();
            foreach (var block in CSharpBlocks)
            {
                if (block.Marker == SnippetMarker.Partial)
                {
                    continue;
                }

                if (block.Marker == SnippetMarker.Continues && groups.Count > 0)
                {
                    groups[^1].Add(block);
                }
                else
                {
                    groups.Add([block]);
                }
            }

            return groups;
        }
    }

    /// <summary>How many csharp blocks are marked partial (skipped).</summary>
    public int PartialCount => CSharpBlocks.Count(b => b.Marker == SnippetMarker.Partial);

    /// <summary>Reads a page.</summary>
    /// <param name="name">The page's name in messages (its repository-relative path).</param>
    /// <param name="markdown">The page's text.</param>
    public static DocumentationPage Parse(string name, string markdown)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(markdown);
        var page = new DocumentationPage(name);
        var document = Markdown.Parse(markdown, Pipeline);
        var problems = new List<string>();

        // Markers are HTML comment blocks; one inside a code block (a page showing the convention) is text, not a marker.
        var markers = new Dictionary<int, (string Kind, bool Used)>();
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var html in document.Descendants<HtmlBlock>())
        {
            for (var i = 0; i < html.Lines.Count; i++)
            {
                var text = html.Lines.Lines[i].Slice.ToString();
                foreach (Match match in MarkerComment().Matches(text))
                {
                    markers[html.Line + i] = (match.Groups["kind"].Value, false);
                }

                foreach (Match match in HtmlAnchor().Matches(text))
                {
                    anchors.Add(match.Groups["id"].Value);
                }
            }
        }

        foreach (var html in document.Descendants<HtmlInline>())
        {
            foreach (Match match in HtmlAnchor().Matches(html.Tag ?? ""))
            {
                anchors.Add(match.Groups["id"].Value);
            }
        }

        var blocks = new List<CodeBlock>();
        var packages = new List<PackageLine>();
        foreach (var fence in document.Descendants<FencedCodeBlock>())
        {
            var info = (fence.Info ?? "").Trim();
            var fenceLine = fence.Line + 1;
            var code = fence.Lines.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
            var marker = SnippetMarker.None;
            if (markers.TryGetValue(fence.Line - 1, out var found))
            {
                markers[fence.Line - 1] = (found.Kind, true);
                marker = found.Kind switch
                {
                    "partial" => SnippetMarker.Partial,
                    "continues" => SnippetMarker.Continues,
                    _ => SnippetMarker.None,
                };
                if (marker == SnippetMarker.None)
                {
                    problems.Add($"line {fenceLine - 1}: unknown marker `<!-- snippet: {found.Kind} -->` (only `partial` and `continues` exist)");
                }
                else if (!string.Equals(info, "csharp", StringComparison.Ordinal))
                {
                    problems.Add($"line {fenceLine - 1}: `<!-- snippet: {found.Kind} -->` stands before a ```{info} block; markers apply to ```csharp blocks only");
                }
            }

            if (string.Equals(info, "csharp", StringComparison.Ordinal))
            {
                var block = new CodeBlock(blocks.Count + 1, fenceLine, code, marker);
                if (marker == SnippetMarker.Continues && (blocks.Count == 0 || blocks[^1].Marker == SnippetMarker.Partial))
                {
                    problems.Add($"{block.Describe()}: `<!-- snippet: continues -->` needs a previous csharp block that is compiled ({(blocks.Count == 0 ? "this is the page's first" : "the previous one is partial")})");
                }

                blocks.Add(block);
                continue;
            }

            if (CSharpLookalikes.Contains(info.Split(' ')[0], StringComparer.OrdinalIgnoreCase) || info.StartsWith("csharp", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"line {fenceLine}: a ```{info} block is not compiled; C# blocks open with ```csharp");
                continue;
            }

            var lines = code.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var command = ShellPrompt().Replace(lines[i].Trim(), "");
                var add = AddPackage().Match(command);
                if (add.Success)
                {
                    var version = add.Groups["version"].Success ? add.Groups["version"].Value : null;
                    packages.Add(new PackageLine(add.Groups["id"].Value, version, fenceLine + 1 + i));
                }

                page.IsWeb |= NewWeb().IsMatch(command);
            }
        }

        foreach (var (line, (kind, used)) in markers.Where(m => !m.Value.Used).OrderBy(m => m.Key))
        {
            problems.Add($"line {line + 1}: `<!-- snippet: {kind} -->` is not on the line right before a fence, so it marks nothing");
        }

        foreach (var heading in document.Descendants<HeadingBlock>())
        {
            if (heading.GetAttributes().Id is { Length: > 0 } id)
            {
                anchors.Add(id);
            }
        }

        var links = new List<PageLink>();
        foreach (var link in document.Descendants<LinkInline>())
        {
            if (!string.IsNullOrEmpty(link.Url))
            {
                links.Add(new PageLink(link.Url, link.Line + 1));
            }
        }

        page.CSharpBlocks = blocks;
        page.Packages = packages;
        page.Problems = problems;
        page.Links = links;
        page.Anchors = anchors;
        return page;
    }

    [GeneratedRegex(@"<!--\s*snippet\s*:\s*(?<kind>[^\s>]*)\s*-->")]
    private static partial Regex MarkerComment();

    [GeneratedRegex(@"\b(?:id|name)\s*=\s*[""'](?<id>[^""']+)[""']")]
    private static partial Regex HtmlAnchor();

    [GeneratedRegex(@"^(?:\$|>|PS>|PS [^>]*>)\s*")]
    private static partial Regex ShellPrompt();

    [GeneratedRegex(@"^dotnet\s+add\s+(?:(?!package\b)\S+\s+)?package\s+(?<id>[A-Za-z0-9_.\-]+)(?:\s+(?:(?:--version|-v)\s+(?<version>\S+)|\S+))*\s*$")]
    private static partial Regex AddPackage();

    [GeneratedRegex(@"^dotnet\s+new\s+(?:web|webapi|webapp|mvc|razor|blazor|grpc)(?:\s|$)")]
    private static partial Regex NewWeb();
}
