namespace TokenAccounting.Testing.Tests;

/// <summary>The first example of docs/testing.md ("Testing your code") is the sample file CI compiles and runs, character for character.</summary>
public sealed class DocumentationSampleTests
{
    [Fact]
    public void TestingPage_FirstExample_IsTheSampleThatCiRuns()
    {
        var root = RepositoryRoot();
        var section = File.ReadAllText(Path.Combine(root, "docs", "testing.md")).ReplaceLineEndings("\n");
        const string Fence = "```csharp\n";
        var start = section.IndexOf(Fence, StringComparison.Ordinal) + Fence.Length;
        var snippet = section[start..section.IndexOf("```\n", start, StringComparison.Ordinal)];

        var sample = File.ReadAllText(Path.Combine(root, "samples", "TestingSample", "TicketSummarizerTests.cs")).ReplaceLineEndings("\n");

        snippet.ShouldBe(sample);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TokenAccounting.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("TokenAccounting.sln not found above the test's output folder.");
    }
}
