using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TokenAccounting.Packaging.Tests.Documentation;

/// <summary>
/// The snippet harness on inline markdown, without packing: markers, package lines, compile errors with their page,
/// block and line, the package closure (a missing `dotnet add package` line fails), web pages, and the link checker.
/// Proves that <see cref="DocumentedSnippetTests"/> and <see cref="DocumentationPageTests"/> can fail.
/// </summary>
public sealed class SnippetHarnessTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "tokenaccounting-snippets-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void Parse_PageWithShellBlocksAndMarkers_ReadsPackagesWebAndCompilationGroups()
    {
        var page = DocumentationPage.Parse("docs/web.md", """
            # Web

            Run `dotnet add package Not.Counted` (inline code is prose, not a shell block).

            ```shell
            dotnet new web
            dotnet add package TokenAccounting.AspNetCore
            $ dotnet add package Microsoft.Extensions.Hosting --version 10.0.14
            ```

            ```csharp
            sealed class A { }
            ```

            <!-- snippet: continues -->
            ```csharp
            sealed class B { }
            ```

            <!-- snippet: partial -->
            ```csharp
            options.Broken(
            ```

            ```markdown
            <!-- snippet: partial -->
            ```

            ```csharp
            sealed class C { }
            ```
            """);

        page.Problems.ShouldBeEmpty();
        page.IsWeb.ShouldBeTrue();
        page.Packages.ShouldBe([new PackageLine("TokenAccounting.AspNetCore", null, 7), new PackageLine("Microsoft.Extensions.Hosting", "10.0.14", 8)]);
        page.CSharpBlocks.Select(b => b.Marker).ShouldBe([SnippetMarker.None, SnippetMarker.Continues, SnippetMarker.Partial, SnippetMarker.None]);
        page.CSharpBlocks.Select(b => b.FenceLine).ShouldBe([11, 16, 21, 29]);
        page.PartialCount.ShouldBe(1);
        page.Compilations.Select(g => string.Join(",", g.Select(b => b.Number))).ShouldBe(["1,2", "4"]);
    }

    [Fact]
    public void Parse_MarkersThatMarkNothingAndCSharpUnderAnotherTag_AreProblems()
    {
        var page = DocumentationPage.Parse("docs/broken.md", """
            <!-- snippet: continues -->
            ```csharp
            sealed class First { }
            ```

            <!-- snippet: partial -->

            ```csharp
            sealed class Second { }
            ```

            <!-- snippet: partail -->
            ```csharp
            sealed class Third { }
            ```

            ```cs
            sealed class Hidden { }
            ```
            """);

        page.Problems.Count.ShouldBe(4, string.Join(Environment.NewLine, page.Problems));
        page.Problems.ShouldContain(p => p.Contains("block 1 (line 2: `sealed class First { }`)", StringComparison.Ordinal) && p.Contains("continues", StringComparison.Ordinal));
        page.Problems.ShouldContain(p => p.StartsWith("line 6:", StringComparison.Ordinal) && p.Contains("marks nothing", StringComparison.Ordinal));
        page.Problems.ShouldContain(p => p.StartsWith("line 12:", StringComparison.Ordinal) && p.Contains("unknown marker", StringComparison.Ordinal));
        page.Problems.ShouldContain(p => p.StartsWith("line 17:", StringComparison.Ordinal) && p.Contains("```cs", StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_MissingUsing_FailsNamingPageBlockLineAndCompilerMessage()
    {
        var page = DocumentationPage.Parse("docs/strings.md", """
            ```csharp
            Console.WriteLine(string.Join(", ", new List<int> { 1, 2 }.Select(i => i * 2)));
            ```

            ```csharp
            // StringBuilder lives in System.Text, which no implicit using imports.
            var text = "abc";
            var builder = new StringBuilder(text);
            ```
            """);

        var errors = CompileAll(page, ReferencePacks.NetCoreApp, SnippetCompiler.ConsoleUsings);

        var error = errors.ShouldHaveSingleItem();
        error.Block.ShouldNotBeNull().Number.ShouldBe(2);
        error.SnippetLine.ShouldBe(3);
        error.Id.ShouldBe("CS0246");
        error.ToString().ShouldBe(
            "docs/strings.md block 2 (line 5: `// StringBuilder lives in System.Text, which no implicit using imports.`), snippet line 3 (markdown line 8): " +
            "CS0246: The type or namespace name 'StringBuilder' could not be found (are you missing a using directive or an assembly reference?)");

        var fixedPage = DocumentationPage.Parse("docs/strings.md", "```csharp\nusing System.Text;\n\nvar builder = new StringBuilder(\"abc\");\n```\n");
        CompileAll(fixedPage, ReferencePacks.NetCoreApp, SnippetCompiler.ConsoleUsings).ShouldBeEmpty();
    }

    [Fact]
    public void Compile_WarningsNullableAndLibraries_OnlyErrorsFailAndALibraryNeedsNoMain()
    {
        var page = DocumentationPage.Parse("docs/kinds.md", """
            ```csharp
            // A library: no top-level statements, so no Main is needed.
            public sealed class Library
            {
                public string? Name { get; set; }

                public int Length() => Name.Length; // CS8602 (nullable enabled): a warning, which does not fail
            }
            ```

            ```csharp
            int unused = 1; // CS0219: a warning
            Console.WriteLine("a program");
            ```
            """);

        CompileAll(page, ReferencePacks.NetCoreApp, SnippetCompiler.ConsoleUsings).ShouldBeEmpty();

        var nullableOff = DocumentationPage.Parse("docs/kinds.md", "```csharp\n#nullable disable\nstring? name = null;\nConsole.WriteLine(name);\n```\n");
        CompileAll(nullableOff, ReferencePacks.NetCoreApp, SnippetCompiler.ConsoleUsings).ShouldBeEmpty("a nullable annotation outside a nullable context is only a warning");
    }

    [Fact]
    public void Compile_ContinuesMarker_SharesTheCompilationAndOnlyOneFileMayHaveTopLevelStatements()
    {
        const string Define = "```csharp\npublic sealed class Greeter\n{\n    public string Greet(string name) => $\"hello {name}\";\n}\n```\n\n";
        const string Use = "```csharp\nConsole.WriteLine(new Greeter().Greet(\"alice\"));\n```\n";

        var continued = DocumentationPage.Parse("docs/continues.md", Define + "<!-- snippet: continues -->\n" + Use);
        continued.Compilations.ShouldHaveSingleItem().Count.ShouldBe(2);
        CompileAll(continued, ReferencePacks.NetCoreApp, SnippetCompiler.ConsoleUsings).ShouldBeEmpty();

        var separate = DocumentationPage.Parse("docs/continues.md", Define + Use);
        var error = CompileAll(separate, ReferencePacks.NetCoreApp, SnippetCompiler.ConsoleUsings).ShouldHaveSingleItem();
        error.Block.ShouldNotBeNull().Number.ShouldBe(2);
        error.Id.ShouldBe("CS0246");
        error.Message.ShouldContain("'Greeter'");

        var twoPrograms = DocumentationPage.Parse("docs/continues.md", Use + "\n<!-- snippet: continues -->\n" + Use);
        CompileAll(twoPrograms, ReferencePacks.NetCoreApp, SnippetCompiler.ConsoleUsings).ShouldContain(e => e.Id == "CS8802");
    }

    [Fact]
    public void Compile_PartialMarker_SkipsTheBlockAndCountsIt()
    {
        const string Fragment = "```csharp\noptions.Retries = 3; // an excerpt of a larger method\n```\n";

        var marked = DocumentationPage.Parse("docs/partial.md", "<!-- snippet: partial -->\n" + Fragment);
        marked.PartialCount.ShouldBe(1);
        marked.Compilations.ShouldBeEmpty();
        CompileAll(marked, ReferencePacks.NetCoreApp, SnippetCompiler.ConsoleUsings).ShouldBeEmpty();

        var unmarked = DocumentationPage.Parse("docs/partial.md", Fragment);
        unmarked.PartialCount.ShouldBe(0);
        CompileAll(unmarked, ReferencePacks.NetCoreApp, SnippetCompiler.ConsoleUsings).ShouldContain(e => e.Id == "CS0103" && e.Message.Contains("'options'", StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_SourceGenerators_RunAsInABuildSoGeneratedPartialsCompile()
    {
        var page = DocumentationPage.Parse("docs/generated.md", """
            ```csharp
            using System.Text.Json;
            using System.Text.Json.Serialization;
            using System.Text.RegularExpressions;

            Console.WriteLine(JsonSerializer.Serialize(new Usage("gpt-4o", 42), UsageJson.Default.Usage));
            Console.WriteLine(Patterns.Model().IsMatch("gpt-4o"));

            public sealed record Usage(string Model, long Tokens);

            [JsonSerializable(typeof(Usage))]
            internal sealed partial class UsageJson : JsonSerializerContext;

            internal static partial class Patterns
            {
                [GeneratedRegex("^gpt-")]
                public static partial Regex Model();
            }
            ```
            """);

        CompileAll(page, ReferencePacks.NetCoreApp, SnippetCompiler.ConsoleUsings, ReferencePacks.NetCoreAppAnalyzers).ShouldBeEmpty();
        CompileAll(page, ReferencePacks.NetCoreApp, SnippetCompiler.ConsoleUsings).ShouldContain(e => e.Id == "CS8795", "without the generators the partial method has no implementation");
    }

    [Fact]
    public void CSharpAnalyzers_PackageFiles_TakeTheCSharpAndLanguageNeutralOnesOfTheHighestRoslynFolder()
    {
        SourceGenerators.CSharpAnalyzers([
            "lib/net8.0/A.dll",
            "analyzers/dotnet/roslyn3.11/cs/Gen.dll",
            "analyzers/dotnet/roslyn4.4/cs/Gen.dll",
            "analyzers/dotnet/roslyn4.4/cs/de/Gen.resources.dll",
            "analyzers/dotnet/roslyn4.0/cs/Gen.dll",
            "analyzers/dotnet/roslyn99.0/cs/Gen.dll",
            "analyzers/dotnet/vb/VbOnly.dll",
            "analyzers/dotnet/cs/Plain.dll",
            "analyzers/dotnet/Neutral.dll",
        ]).Order(StringComparer.Ordinal).ShouldBe(["analyzers/dotnet/Neutral.dll", "analyzers/dotnet/cs/Plain.dll", "analyzers/dotnet/roslyn4.4/cs/Gen.dll"]);
    }

    [Fact]
    public void References_PackageLines_CompileAgainstTheNamedPackagesAndTheirDependenciesOnly()
    {
        var assets = WriteFakePackages();
        const string Snippet = """
            ```csharp
            using Fake.Core;
            using Fake.Lib;

            Clock clock = new Meter().Clock;
            Console.WriteLine(clock.Now);
            ```
            """;

        // Fake.Lib depends on Fake.Core: adding Fake.Lib is enough for both namespaces.
        var named = DocumentationPage.Parse("docs/fake.md", "```shell\ndotnet add package Fake.Lib --version 1.0.0\n```\n\n" + Snippet);
        var (packages, problems) = DocumentationPackages.Versions(named, "0.2.0", ["TokenAccounting"], _ => null);
        problems.ShouldBeEmpty();
        var references = DocumentationPackages.References(named, packages, assets, []);
        references.Problems.ShouldBeEmpty();
        references.Packages.ShouldBe(["Fake.Lib/1.0.0", "Fake.Core/1.0.0"]);
        CompileAll(named, references.Paths, references.ImplicitUsings).ShouldBeEmpty();

        // No `dotnet add package` line: the packages are restored (another page names them) but not this page's.
        var missing = DocumentationPage.Parse("docs/fake.md", Snippet);
        var missingReferences = DocumentationPackages.References(missing, [], assets, []);
        var errors = CompileAll(missing, missingReferences.Paths, missingReferences.ImplicitUsings);
        errors.ShouldContain(e => e.Id == "CS0246" && e.Message.Contains("'Fake'", StringComparison.Ordinal) && e.SnippetLine == 1);
        errors.ShouldContain(e => e.SnippetLine == 2);

        // Only the dependency: its own types compile, the package that depends on it does not come along.
        var dependencyOnly = DocumentationPage.Parse("docs/fake.md", "```shell\ndotnet add package Fake.Core --version 1.0.0\n```\n\n" + Snippet);
        var (corePackages, _) = DocumentationPackages.Versions(dependencyOnly, "0.2.0", ["TokenAccounting"], _ => null);
        var coreReferences = DocumentationPackages.References(dependencyOnly, corePackages, assets, []);
        var coreErrors = CompileAll(dependencyOnly, coreReferences.Paths, coreReferences.ImplicitUsings);
        coreErrors.ShouldContain(e => e.SnippetLine == 2 && e.Message.Contains("'Lib'", StringComparison.Ordinal));
        coreErrors.ShouldAllBe(e => e.SnippetLine == 2 || e.SnippetLine == 4, "Fake.Core's own namespace and Clock resolve");
    }

    [Fact]
    public void Suggest_MissingPackageLine_NamesThePackageThatMakesTheSnippetCompileAndNoneForAMissingUsing()
    {
        var assets = WriteFakePackages();
        HintCandidate[] candidates = [new("Fake.Core", assets.Closure(["Fake.Core"])), new("Fake.Lib", assets.Closure(["Fake.Lib"]))];
        var page = DocumentationPage.Parse("docs/fake.md", "```csharp\nusing Fake.Core;\nusing Fake.Lib;\n\nClock clock = new Meter().Clock;\n```\n");
        var references = DocumentationPackages.References(page, [], assets, []);
        var blocks = page.Compilations.ShouldHaveSingleItem();
        var errors = SnippetCompiler.Compile(page.Name, blocks, references.Paths, references.ImplicitUsings);

        MissingPackageHints.Suggest(page.Name, blocks, references, errors, candidates)
            .ShouldBe("hint: with `dotnet add package Fake.Lib` on the page, this compiles");

        var missingUsing = DocumentationPage.Parse("docs/fake.md", "```csharp\nvar builder = new StringBuilder();\n```\n");
        var usingBlocks = missingUsing.Compilations.ShouldHaveSingleItem();
        var usingErrors = SnippetCompiler.Compile(missingUsing.Name, usingBlocks, references.Paths, references.ImplicitUsings);
        usingErrors.ShouldNotBeEmpty();
        MissingPackageHints.Suggest(missingUsing.Name, usingBlocks, references, usingErrors, candidates).ShouldBeNull("StringBuilder is in the targeting pack: a using is missing, not a package");
    }

    [Fact]
    public void Versions_PackageLines_TakeThisRepositorysVersionAPinnedOneOrTheCentralOneAndFlagTheRest()
    {
        var page = DocumentationPage.Parse("docs/versions.md", """
            ```shell
            dotnet add package TokenAccounting
            dotnet add package TokenAccounting.Sqlite --version 0.1.0
            dotnet add package TokenAccounting.Nope
            dotnet add package TokenAccounting.Tool
            dotnet add package Microsoft.Extensions.Hosting
            dotnet add package Npgsql --version 9.0.0
            dotnet add package Unpinned.Package
            ```
            """);

        var (packages, problems) = DocumentationPackages.Versions(
            page,
            "0.2.0",
            ["TokenAccounting", "TokenAccounting.Sqlite", "TokenAccounting.Tool"],
            id => id == "Microsoft.Extensions.Hosting" ? "10.0.14" : null);

        packages.ShouldBe([new PagePackage("TokenAccounting", "0.2.0"), new PagePackage("Microsoft.Extensions.Hosting", "10.0.14"), new PagePackage("Npgsql", "9.0.0")]);
        problems.Count.ShouldBe(4, string.Join(Environment.NewLine, problems));
        problems.ShouldContain(p => p.StartsWith("line 3:", StringComparison.Ordinal) && p.Contains("packs 0.2.0", StringComparison.Ordinal));
        problems.ShouldContain(p => p.StartsWith("line 4:", StringComparison.Ordinal) && p.Contains("names no package", StringComparison.Ordinal));
        problems.ShouldContain(p => p.StartsWith("line 5:", StringComparison.Ordinal) && p.Contains("dotnet tool install", StringComparison.Ordinal));
        problems.ShouldContain(p => p.StartsWith("line 8:", StringComparison.Ordinal) && p.Contains("--version", StringComparison.Ordinal));
    }

    [Fact]
    public void References_WebPage_CompilesAgainstAspNetCoreWithTheWebSdksUsingsAndAConsolePageDoesNot()
    {
        const string Snippet = "```csharp\nvar builder = WebApplication.CreateBuilder(args);\nvar app = builder.Build();\napp.MapGet(\"/\", () => \"hello\");\napp.Run();\n```\n";

        var web = DocumentationPage.Parse("docs/aspnetcore.md", "```shell\ndotnet new web\n```\n\n" + Snippet);
        web.IsWeb.ShouldBeTrue();
        var webReferences = DocumentationPackages.References(web, [], null, []);
        webReferences.ImplicitUsings.ShouldBe(SnippetCompiler.WebUsings);
        CompileAll(web, webReferences.Paths, webReferences.ImplicitUsings).ShouldBeEmpty();

        var console = DocumentationPage.Parse("docs/aspnetcore.md", Snippet);
        var consoleReferences = DocumentationPackages.References(console, [], null, []);
        CompileAll(console, consoleReferences.Paths, consoleReferences.ImplicitUsings).ShouldContain(e => e.Id == "CS0103" && e.Message.Contains("'WebApplication'", StringComparison.Ordinal));
    }

    [Fact]
    public void Anchors_Headings_FollowGitHubSlugRules()
    {
        var page = DocumentationPage.Parse("docs/slugs.md", """
            # Quick start
            ## ASP.NET Core
            ## Microsoft.Extensions.AI and agents
            ## Budgets (per tenant)
            ## `UseTokenAccounting()` options
            ## Providers & parsing
            ## Example
            ## Example
            <a id="custom-anchor"></a>
            """);

        page.Anchors.Order(StringComparer.Ordinal).ShouldBe(
            ["aspnet-core", "budgets-per-tenant", "custom-anchor", "example", "example-1", "microsoftextensionsai-and-agents", "providers--parsing", "quick-start", "usetokenaccounting-options"]);
    }

    [Fact]
    public void Check_RelativeLinks_ReportsMissingFilesMissingAnchorsAndLinksOutOfTheRepository()
    {
        var root = Path.Combine(_folder, "repo");
        Directory.CreateDirectory(Path.Combine(root, "docs"));
        Directory.CreateDirectory(Path.Combine(root, "samples", "QuickStart"));
        File.WriteAllText(Path.Combine(root, "docs", "pricing.md"), "# Pricing\n\n## Built-in prices\n");
        var readme = """
            # Title

            ## Own heading

            [ok](docs/pricing.md) [ok anchor](docs/pricing.md#built-in-prices) [ok folder](samples/QuickStart) [own](#own-heading)
            [web](https://example.org/x.md) [mail](mailto:a@b.c) ![ok image](docs/pricing.md)

            [bad file](docs/budgets.md)
            [bad anchor](docs/pricing.md#custom-prices)
            [bad own](#quick-start)
            [outside](../secrets.md)
            [reference][ref]

            [ref]: docs/missing.md
            """;
        var readmePath = Path.Combine(root, "README.md");
        File.WriteAllText(readmePath, readme);

        var broken = LinkChecker.Check(DocumentationPage.Parse("README.md", readme), readmePath, root);

        broken.Count.ShouldBe(5, string.Join(Environment.NewLine, broken));
        broken.ShouldContain("line 8: (docs/budgets.md): docs/budgets.md does not exist");
        broken.ShouldContain("line 9: (docs/pricing.md#custom-prices): docs/pricing.md has no heading with the anchor #custom-prices");
        broken.ShouldContain("line 10: (#quick-start): README.md has no heading with the anchor #quick-start");
        broken.ShouldContain("line 11: (../secrets.md) points outside the repository");
        broken.ShouldContain("line 12: (docs/missing.md): docs/missing.md does not exist");
    }

    private static List<SnippetError> CompileAll(DocumentationPage page, IEnumerable<string> references, IReadOnlyList<string> usings, IReadOnlyList<string>? generators = null)
    {
        var paths = references.ToArray();
        return page.Compilations.SelectMany(blocks => SnippetCompiler.Compile(page.Name, blocks, paths, usings, generators)).ToList();
    }

    /// <summary>
    /// A package folder with Fake.Core (a Clock), Fake.Lib (a Meter exposing a Clock; depends on Fake.Core) and
    /// Fake.Placeholder (only a <c>_._</c> compile asset), and the project.assets.json a restore of Fake.Lib and
    /// Fake.Placeholder would write.
    /// </summary>
    private PackageAssets WriteFakePackages()
    {
        var packagesFolder = Path.Combine(_folder, "packages") + Path.DirectorySeparatorChar;
        var core = Emit(packagesFolder, "Fake.Core", "namespace Fake.Core; public sealed class Clock { public long Now => 42; }", []);
        Emit(packagesFolder, "Fake.Lib", "namespace Fake.Lib; public sealed class Meter { public Fake.Core.Clock Clock { get; } = new(); }", [core]);
        Directory.CreateDirectory(Path.Combine(packagesFolder, "fake.placeholder", "1.0.0", "lib", "net10.0"));

        static object Library(string id) => new { type = "package", path = $"{id.ToLowerInvariant()}/1.0.0" };
        var assets = new
        {
            version = 3,
            targets = new Dictionary<string, object>
            {
                ["net10.0"] = new Dictionary<string, object>
                {
                    ["Fake.Lib/1.0.0"] = new { type = "package", dependencies = new Dictionary<string, string> { ["Fake.Core"] = "1.0.0" }, compile = new Dictionary<string, object> { ["lib/net10.0/Fake.Lib.dll"] = new { } } },
                    ["Fake.Core/1.0.0"] = new { type = "package", compile = new Dictionary<string, object> { ["lib/net10.0/Fake.Core.dll"] = new { } } },
                    ["Fake.Placeholder/1.0.0"] = new { type = "package", compile = new Dictionary<string, object> { ["lib/net10.0/_._"] = new { } } },
                },
            },
            libraries = new Dictionary<string, object> { ["Fake.Lib/1.0.0"] = Library("Fake.Lib"), ["Fake.Core/1.0.0"] = Library("Fake.Core"), ["Fake.Placeholder/1.0.0"] = Library("Fake.Placeholder") },
            packageFolders = new Dictionary<string, object> { [packagesFolder] = new { } },
        };
        var path = Path.Combine(_folder, "project.assets.json");
        File.WriteAllText(path, JsonSerializer.Serialize(assets));
        var loaded = PackageAssets.Load(path);
        loaded.Closure(["Fake.Placeholder"]).Paths.ShouldBeEmpty("a _._ placeholder is not an assembly");
        return loaded;
    }

    private static string Emit(string packagesFolder, string id, string source, IReadOnlyList<string> references)
    {
        var folder = Path.Combine(packagesFolder, id.ToLowerInvariant(), "1.0.0", "lib", "net10.0");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, id + ".dll");
        var compilation = CSharpCompilation.Create(
            id,
            [CSharpSyntaxTree.ParseText(source)],
            ReferencePacks.NetCoreApp.Concat(references).Select(p => MetadataReference.CreateFromFile(p)),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var result = compilation.Emit(path);
        result.Success.ShouldBeTrue(string.Join(Environment.NewLine, result.Diagnostics));
        return path;
    }
}
