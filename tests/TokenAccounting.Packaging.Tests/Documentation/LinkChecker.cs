using System.Text.RegularExpressions;

namespace TokenAccounting.Packaging.Tests.Documentation;

/// <summary>
/// Checks a page's relative links the way GitHub resolves them: a path relative to the page (or, starting with '/',
/// to the repository root) must name a file or folder inside the repository, and a <c>#fragment</c> into a markdown
/// page must be one of that page's anchors (GitHub's heading slugs). Absolute URLs (any scheme) are not fetched.
/// </summary>
public static partial class LinkChecker
{
    /// <summary>The broken links of <paramref name="page"/>, one message each.</summary>
    /// <param name="page">The page.</param>
    /// <param name="pagePath">The page's full path.</param>
    /// <param name="root">The repository's root folder.</param>
    public static IReadOnlyList<string> Check(DocumentationPage page, string pagePath, string root)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(pagePath);
        ArgumentNullException.ThrowIfNull(root);
        var fullRoot = Path.GetFullPath(root);
        var fullPage = Path.GetFullPath(pagePath);
        var broken = new List<string>();
        var pages = new Dictionary<string, DocumentationPage>(StringComparer.Ordinal) { [fullPage] = page };
        foreach (var link in page.Links)
        {
            if (Scheme().IsMatch(link.Url) || link.Url.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            var hash = link.Url.IndexOf('#', StringComparison.Ordinal);
            var pathPart = hash < 0 ? link.Url : link.Url[..hash];
            var fragment = hash < 0 ? null : Uri.UnescapeDataString(link.Url[(hash + 1)..]);
            var query = pathPart.IndexOf('?', StringComparison.Ordinal);
            if (query >= 0)
            {
                pathPart = pathPart[..query];
            }

            pathPart = Uri.UnescapeDataString(pathPart);
            string target;
            if (pathPart.Length == 0)
            {
                target = fullPage;
            }
            else
            {
                var baseFolder = pathPart.StartsWith('/') ? fullRoot : Path.GetDirectoryName(fullPage)!;
                target = Path.GetFullPath(Path.Combine(baseFolder, pathPart.TrimStart('/')));
                var relative = Path.GetRelativePath(fullRoot, target);
                if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
                {
                    broken.Add($"line {link.Line}: ({link.Url}) points outside the repository");
                    continue;
                }

                if (!File.Exists(target) && !Directory.Exists(target))
                {
                    broken.Add($"line {link.Line}: ({link.Url}): {relative.Replace('\\', '/')} does not exist");
                    continue;
                }
            }

            if (string.IsNullOrEmpty(fragment) || !target.EndsWith(".md", StringComparison.OrdinalIgnoreCase) || !File.Exists(target))
            {
                continue;
            }

            if (!pages.TryGetValue(target, out var targetPage))
            {
                targetPage = DocumentationPage.Parse(Path.GetRelativePath(fullRoot, target).Replace('\\', '/'), File.ReadAllText(target));
                pages[target] = targetPage;
            }

            if (!targetPage.Anchors.Contains(fragment))
            {
                var near = targetPage.Anchors.Where(a => a.Contains(fragment, StringComparison.OrdinalIgnoreCase) || fragment.Contains(a, StringComparison.OrdinalIgnoreCase)).Take(3).ToArray();
                broken.Add($"line {link.Line}: ({link.Url}): {targetPage.Name} has no heading with the anchor #{fragment}{(near.Length > 0 ? $" (did you mean #{string.Join(", #", near)}?)" : "")}");
            }
        }

        return broken;
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9+.-]*:")]
    private static partial Regex Scheme();
}
