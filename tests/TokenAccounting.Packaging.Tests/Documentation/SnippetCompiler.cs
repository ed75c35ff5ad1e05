using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TokenAccounting.Packaging.Tests.Documentation;

/// <summary>A compiler error in a snippet.</summary>
/// <param name="Page">The page's name.</param>
/// <param name="Block">The block the error is in; <see langword="null"/> for one that belongs to no block (the implicit usings, a reference).</param>
/// <param name="SnippetLine">The 1-based line inside the block (0 when the error has no line).</param>
/// <param name="Id">The compiler's diagnostic id (CS0246, …).</param>
/// <param name="Message">The compiler's message.</param>
public sealed record SnippetError(string Page, CodeBlock? Block, int SnippetLine, string Id, string Message)
{
    /// <summary>"docs/x.md block 2 (line 40: `using X;`), snippet line 3 (markdown line 43): CS0246: …".</summary>
    public override string ToString() => Block is null
        ? $"{Page}: {Id}: {Message}"
        : $"{Page} {Block.Describe()}, snippet line {SnippetLine} (markdown line {Block.FenceLine + SnippetLine}): {Id}: {Message}";
}

/// <summary>
/// Compiles one compilation of a page's csharp blocks (one file per block) in-process with Roslyn, the way
/// `dotnet build` of a fresh net10.0 project would: C# latest as the .NET 10 SDK means it (C# 14, not the newer
/// versions this Roslyn may know), nullable enabled, the SDK's implicit global usings, the source generators of the
/// targeting packs and packages, a program when a file has top-level statements and a library otherwise. Only errors
/// are returned: warnings never fail a snippet.
/// </summary>
public static class SnippetCompiler
{
    /// <summary>The implicit global usings of Microsoft.NET.Sdk (<c>dotnet new console</c>).</summary>
    public static readonly IReadOnlyList<string> ConsoleUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    /// <summary>The implicit global usings of Microsoft.NET.Sdk.Web (<c>dotnet new web</c>).</summary>
    public static readonly IReadOnlyList<string> WebUsings =
    [
        .. ConsoleUsings, "System.Net.Http.Json", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Http",
        "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration", "Microsoft.Extensions.DependencyInjection",
        "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
    ];

    // `<LangVersion>latest</LangVersion>` (and the default) for net10.0 on the .NET 10 SDK.
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp14, DocumentationMode.Parse);
    private static readonly ConcurrentDictionary<string, MetadataReference> References = new(StringComparer.Ordinal);

    /// <summary>Compiles <paramref name="blocks"/> of <paramref name="page"/> against <paramref name="referencePaths"/>.</summary>
    /// <param name="page">The page's name, for the errors.</param>
    /// <param name="blocks">The blocks of one compilation (a block and the ones that continue it).</param>
    /// <param name="referencePaths">The assemblies to compile against; of two with one name the higher version wins, as the SDK's conflict resolution does.</param>
    /// <param name="implicitUsings">The namespaces imported by the SDK's implicit global usings.</param>
    /// <param name="generatorPaths">Analyzer assemblies whose source generators run (their analyzers do not); of two with one file name the higher version runs.</param>
    public static IReadOnlyList<SnippetError> Compile(string page, IReadOnlyList<CodeBlock> blocks, IEnumerable<string> referencePaths, IReadOnlyList<string> implicitUsings, IEnumerable<string>? generatorPaths = null)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(referencePaths);
        ArgumentNullException.ThrowIfNull(implicitUsings);
        if (blocks.Count == 0)
        {
            throw new ArgumentException("A compilation needs at least one block.", nameof(blocks));
        }

        var trees = blocks.Select(b => CSharpSyntaxTree.ParseText(b.Code, ParseOptions, path: $"block{b.Number}.cs")).ToList();
        var globalUsings = CSharpSyntaxTree.ParseText(
            string.Concat(implicitUsings.Select(u => $"global using global::{u};\n")), ParseOptions, path: "GlobalUsings.g.cs");
        var program = trees.Any(t => t.GetCompilationUnitRoot().Members.OfType<GlobalStatementSyntax>().Any());
        var options = new CSharpCompilationOptions(
            program ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary,
            nullableContextOptions: NullableContextOptions.Enable);
        var compilation = CSharpCompilation.Create(
            "Snippet",
            [globalUsings, .. trees],
            Resolve(referencePaths).Select(p => References.GetOrAdd(p, path => MetadataReference.CreateFromFile(path))),
            options);

        var generators = SourceGenerators.Load(generatorPaths ?? []);
        var generatorDiagnostics = ImmutableArray<Diagnostic>.Empty;
        if (generators.Count > 0)
        {
            CSharpGeneratorDriver.Create(generators, parseOptions: ParseOptions)
                .RunGeneratorsAndUpdateCompilation(compilation, out var generated, out generatorDiagnostics);
            compilation = (CSharpCompilation)generated;
        }

        var errors = new List<SnippetError>();
        var diagnostics = compilation.GetDiagnostics()
            .Concat(generatorDiagnostics)
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .OrderBy(d => d.Location.SourceTree is { } t ? trees.IndexOf(t) : -1)
            .ThenBy(d => d.Location.SourceSpan.Start);
        foreach (var diagnostic in diagnostics)
        {
            var tree = diagnostic.Location.SourceTree;
            var index = tree is null ? -1 : trees.IndexOf(tree);
            var message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
            errors.Add(index < 0
                ? new SnippetError(page, null, 0, diagnostic.Id, tree is null ? message : tree == globalUsings ? $"{message} (in the implicit usings: {string.Join(", ", implicitUsings)})" : $"{message} (in generated {Path.GetFileName(tree.FilePath)})")
                : new SnippetError(page, blocks[index], diagnostic.Location.GetLineSpan().StartLinePosition.Line + 1, diagnostic.Id, message));
        }

        return errors;
    }

    /// <summary>
    /// The references to pass: one file per assembly name, the one with the highest assembly version (then the later
    /// in the list, so a package's copy beats the targeting pack's at the same version, as the SDK decides).
    /// </summary>
    public static IReadOnlyList<string> Resolve(IEnumerable<string> referencePaths)
    {
        ArgumentNullException.ThrowIfNull(referencePaths);
        var chosen = new Dictionary<string, (string Path, Version Version)>(StringComparer.OrdinalIgnoreCase);
        foreach (var path in referencePaths)
        {
            var (name, version) = Identity(path);
            if (!chosen.TryGetValue(name, out var current) || version >= current.Version)
            {
                chosen[name] = (path, version);
            }
        }

        return chosen.Values.Select(c => c.Path).ToArray();
    }

    private static readonly ConcurrentDictionary<string, (string Name, Version Version)> Identities = new(StringComparer.Ordinal);

    private static (string Name, Version Version) Identity(string path) => Identities.GetOrAdd(path, p =>
    {
        using var stream = File.OpenRead(p);
        using var reader = new PEReader(stream);
        var metadata = reader.GetMetadataReader();
        var definition = metadata.GetAssemblyDefinition();
        return (metadata.GetString(definition.Name), definition.Version);
    });
}
