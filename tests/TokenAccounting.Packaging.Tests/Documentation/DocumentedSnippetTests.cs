using TokenAccounting.Packaging.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TokenAccounting.Packaging.Tests.Documentation;

/// <summary>
/// Every ```csharp block of README.md and docs/**/*.md compiles as written (SNIPPETS conventions): against the packed
/// TokenAccounting packages and the public packages its page adds with `dotnet add package` lines, and their
/// dependencies only, restored into a fresh project from the packed folder. One case per page, found on disk.
/// </summary>
[Collection(PackedPackagesGroup.Name)]
public sealed class DocumentedSnippetTests(PackedPackages packages, ITestOutputHelper output)
{
    private const int MaxErrorsPerBlock = 8;

    public static TheoryData<string> Pages => new(DocumentationPages.Names());

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Snippets_EachPage_CompileAgainstThePackagesThePageAdds(string pageName)
    {
        packages.Pack.ShouldSucceed();
        var page = DocumentationPages.Load(pageName);
        var restored = await DocumentationPackages.GetAsync(packages);
        var references = restored.For(page);

        var failures = new List<string>(page.Problems);
        failures.AddRange(references.Problems);
        if (page.CSharpBlocks.Count > 0 && !page.Packages.Any(p => DocumentationPackages.IsTokenAccounting(p.Id)))
        {
            failures.Add("the page has csharp blocks but no `dotnet add package TokenAccounting…` line for the package they use");
        }

        var compilations = page.Compilations;
        if (references.Problems.Count == 0)
        {
            foreach (var blocks in compilations)
            {
                var errors = SnippetCompiler.Compile(page.Name, blocks, references.Paths, references.ImplicitUsings, references.Analyzers);
                if (errors.Count > 0 && MissingPackageHints.Suggest(page.Name, blocks, references, errors, await restored.HintCandidatesAsync(page)) is { } hint)
                {
                    failures.Add($"{page.Name} {blocks[0].Describe()}{(blocks.Count > 1 ? $" (+{blocks.Count - 1} continued)" : "")}: {hint}");
                }

                foreach (var perBlock in errors.GroupBy(e => e.Block))
                {
                    // The first errors of a block say what is wrong; the rest are mostly their consequences.
                    failures.AddRange(perBlock.Take(MaxErrorsPerBlock).Select(e => e.ToString()));
                    if (perBlock.Count() > MaxErrorsPerBlock)
                    {
                        failures.Add($"{page.Name} {perBlock.Key?.Describe() ?? "(no block)"}: {perBlock.Count() - MaxErrorsPerBlock} more error(s)");
                    }
                }
            }
        }

        output.WriteLine(
            $"{page.Name}: {page.CSharpBlocks.Count} csharp block(s), {page.CSharpBlocks.Count - page.PartialCount} compiled in {compilations.Count} compilation(s), " +
            $"{page.PartialCount} partial (skipped); {(page.IsWeb ? "web" : "console")}; packages: {string.Join(", ", page.Packages.Select(p => p.Id))}");
        if (failures.Count > 0)
        {
            Assert.Fail($"{page.Name}: {failures.Count} problem(s){Environment.NewLine}{string.Join(Environment.NewLine, failures)}");
        }
    }
}
