using TokenAccounting.Packaging.Tests.Infrastructure;

namespace TokenAccounting.Packaging.Tests.Documentation;

/// <summary>The repository's documentation pages: README.md and every docs/**/*.md, found on disk (a new page is picked up).</summary>
public static class DocumentationPages
{
    /// <summary>The pages' repository-relative names, README.md first, then docs/ in ordinal order.</summary>
    public static IReadOnlyList<string> Names()
    {
        var docs = Repository.Path("docs");
        var pages = Directory.Exists(docs)
            ? Directory.GetFiles(docs, "*.md", SearchOption.AllDirectories)
                .Select(p => Path.GetRelativePath(Repository.Root, p).Replace('\\', '/'))
                .Order(StringComparer.Ordinal)
            : Enumerable.Empty<string>();
        return ["README.md", .. pages];
    }

    /// <summary>A page by its repository-relative name.</summary>
    public static DocumentationPage Load(string name) => DocumentationPage.Parse(name, File.ReadAllText(FullPath(name)));

    /// <summary>A page's full path.</summary>
    public static string FullPath(string name) => Repository.Path(name.Split('/'));

    /// <summary>Every page.</summary>
    public static IReadOnlyList<DocumentationPage> All() => Names().Select(Load).ToArray();
}
