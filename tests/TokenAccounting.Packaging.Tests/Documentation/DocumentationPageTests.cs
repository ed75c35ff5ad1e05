using TokenAccounting.Packaging.Tests.Infrastructure;

namespace TokenAccounting.Packaging.Tests.Documentation;

/// <summary>The documentation's shape: README.md's length (issue 19: read in ten minutes) and links that resolve.</summary>
public sealed class DocumentationPageTests
{
    /// <summary>README.md's budget.</summary>
    public const int MaxReadmeLines = 250;

    public static TheoryData<string> Pages => new(DocumentationPages.Names());

    [Fact]
    public void Readme_Length_IsAtMost250Lines()
    {
        var lines = File.ReadAllLines(Repository.Path("README.md")).Length;
        lines.ShouldBeLessThanOrEqualTo(MaxReadmeLines, $"README.md has {lines} lines; the rest belongs in docs/ (issue 19)");
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void RelativeLinks_EachPage_PointAtFilesAndHeadingsThatExist(string pageName)
    {
        var page = DocumentationPages.Load(pageName);
        var broken = LinkChecker.Check(page, DocumentationPages.FullPath(pageName), Repository.Root);
        broken.ShouldBeEmpty($"{pageName}: broken relative links");
    }
}
