using System.Collections.Concurrent;
using System.Xml.Linq;
using TokenAccounting.Packaging.Tests.Infrastructure;

namespace TokenAccounting.Packaging.Tests.Documentation;

/// <summary>A package a page adds, at the version a restore takes.</summary>
public sealed record PagePackage(string Id, string Version);

/// <summary>What one page's snippets compile against.</summary>
/// <param name="Paths">The reference assemblies: the targeting pack(s) and the compile assets of the page's packages' closure.</param>
/// <param name="ImplicitUsings">The SDK's implicit global usings for the page (console or web).</param>
/// <param name="Packages">The closure's packages, as <c>Id/Version</c>.</param>
/// <param name="Problems">Why the page's packages could not be resolved; the page fails with them.</param>
/// <param name="Analyzers">The analyzer assemblies whose source generators run: the targeting packs' and the packages'.</param>
public sealed record PageReferences(IReadOnlyList<string> Paths, IReadOnlyList<string> ImplicitUsings, IReadOnlyList<string> Packages, IReadOnlyList<string> Problems, IReadOnlyList<string> Analyzers);

/// <summary>
/// The packages the documentation names, restored as a user would get them: one fresh net10.0 project (in the packed
/// packages' scratch folder) references every package any page adds, from the packed folder and the machine's feed,
/// into the fresh package cache the other packaging tests use. Each page then compiles against its own packages'
/// closure only, read from that project's project.assets.json. Pages that disagree on a version get projects of their
/// own; a restore that fails is retried page by page so that the failure names its page.
/// </summary>
public sealed class DocumentationPackages
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<DocumentationPackages>>> Restores = new(StringComparer.Ordinal);
    private static readonly TimeSpan RestoreTimeout = TimeSpan.FromMinutes(10);

    private readonly Dictionary<string, (IReadOnlyList<PagePackage> Packages, PackageAssets? Assets, string? Failure)> _pages = new(StringComparer.Ordinal);

    // Packages the repository pins centrally that are its own tooling, not something a reader of the docs adds.
    private static readonly string[] NotHintedPrefixes =
        ["Microsoft.CodeAnalysis", "Microsoft.NET.Test.Sdk", "xunit.runner", "Xunit.SkippableFact", "Shouldly", "FsCheck", "BenchmarkDotNet", "Microsoft.Playwright", "Markdig", "ScottPlot", "Spectre.Console", "System.CommandLine"];

    private readonly Lazy<Task<PackageAssets?>> _hints;

    private DocumentationPackages(PackedPackages packed) => _hints = new(() => RestoreHintsAsync(packed));

    /// <summary>The pages' names and the restore projects written for them.</summary>
    public IReadOnlyList<string> RestoreProjects { get; private set; } = [];

    /// <summary>Restores (once per packed folder) the packages of every page of <see cref="DocumentationPages"/>.</summary>
    public static Task<DocumentationPackages> GetAsync(PackedPackages packed)
    {
        ArgumentNullException.ThrowIfNull(packed);
        return Restores.GetOrAdd(packed.Folder, _ => new Lazy<Task<DocumentationPackages>>(() => RestoreAsync(packed, DocumentationPages.All()))).Value;
    }

    /// <summary>
    /// The packages a page adds, at the versions a restore takes: a TokenAccounting package at this repository's
    /// version (it must be one that is packed, and a <c>--version</c> must be that version); another package at its
    /// <c>--version</c>, else at the repository's central version, else it is a problem (the page must pin it).
    /// </summary>
    public static (IReadOnlyList<PagePackage> Packages, IReadOnlyList<string> Problems) Versions(
        DocumentationPage page, string tokenAccountingVersion, IReadOnlyCollection<string> packedIds, Func<string, string?> centralVersion)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(packedIds);
        ArgumentNullException.ThrowIfNull(centralVersion);
        var packages = new List<PagePackage>();
        var problems = new List<string>();
        foreach (var line in page.Packages)
        {
            string? version;
            if (IsTokenAccounting(line.Id))
            {
                if (!packedIds.Contains(line.Id, StringComparer.Ordinal))
                {
                    problems.Add($"line {line.Line}: `dotnet add package {line.Id}` names no package this repository packs ({string.Join(", ", packedIds)})");
                    continue;
                }

                if (line.Id == "TokenAccounting.Tool")
                {
                    problems.Add($"line {line.Line}: TokenAccounting.Tool is a dotnet tool: `dotnet tool install --global TokenAccounting.Tool`, not `dotnet add package`");
                    continue;
                }

                if (line.Version is not null && line.Version != tokenAccountingVersion)
                {
                    problems.Add($"line {line.Line}: `dotnet add package {line.Id} --version {line.Version}`, but this repository packs {tokenAccountingVersion}");
                    continue;
                }

                version = tokenAccountingVersion;
            }
            else
            {
                version = line.Version ?? centralVersion(line.Id);
                if (version is null)
                {
                    problems.Add($"line {line.Line}: `dotnet add package {line.Id}` has no --version and the repository pins none; add `--version <the version the docs were written against>`");
                    continue;
                }
            }

            var same = packages.Find(p => string.Equals(p.Id, line.Id, StringComparison.OrdinalIgnoreCase));
            if (same is null)
            {
                packages.Add(new PagePackage(line.Id, version));
            }
            else if (same.Version != version)
            {
                problems.Add($"line {line.Line}: {line.Id} is added twice, at {same.Version} and {version}");
            }
        }

        return (packages, problems);
    }

    /// <summary>Whether <paramref name="id"/> is one of this repository's packages (TokenAccounting or TokenAccounting.*).</summary>
    public static bool IsTokenAccounting(string id) =>
        string.Equals(id, "TokenAccounting", StringComparison.OrdinalIgnoreCase) || id.StartsWith("TokenAccounting.", StringComparison.OrdinalIgnoreCase);

    /// <summary>What <paramref name="page"/>'s snippets compile against.</summary>
    public PageReferences For(DocumentationPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        if (!_pages.TryGetValue(page.Name, out var entry))
        {
            throw new InvalidOperationException($"{page.Name} was not among the pages when the documentation's packages were restored ({string.Join(", ", _pages.Keys)}).");
        }

        var (packages, assets, failure) = entry;
        var problems = new List<string>();
        if (failure is not null)
        {
            problems.Add(failure);
        }

        return References(page, packages, assets, problems);
    }

    /// <summary>The references of a page whose <paramref name="packages"/> are resolved in <paramref name="assets"/> (none when it adds no package).</summary>
    public static PageReferences References(DocumentationPage page, IReadOnlyList<PagePackage> packages, PackageAssets? assets, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(packages);
        ArgumentNullException.ThrowIfNull(problems);
        var closure = assets?.Closure(packages.Select(p => p.Id)) ?? new PackageClosure([], new HashSet<string>(), [], packages.Select(p => p.Id).ToArray(), []);
        if (closure.Missing.Count > 0 && problems.Count == 0)
        {
            problems.Add($"the restore resolved none of {string.Join(", ", closure.Missing)}");
        }

        var paths = new List<string>(ReferencePacks.NetCoreApp);
        var analyzers = new List<string>(ReferencePacks.NetCoreAppAnalyzers);
        if (page.IsWeb || closure.FrameworkReferences.Contains("Microsoft.AspNetCore.App"))
        {
            paths.AddRange(ReferencePacks.AspNetCoreApp);
            analyzers.AddRange(ReferencePacks.AspNetCoreAppAnalyzers);
        }

        paths.AddRange(closure.Paths);
        analyzers.AddRange(closure.Analyzers);
        return new PageReferences(paths, page.IsWeb ? SnippetCompiler.WebUsings : SnippetCompiler.ConsoleUsings, closure.Packages, problems, analyzers);
    }

    /// <summary>
    /// The packages a hint for a failing snippet of <paramref name="page"/> may suggest: every TokenAccounting package
    /// and every package the repository pins centrally (less its own build and test tooling) that the page does not
    /// add. Restored (once, into a project of their own so they cannot change what the pages resolve) only when a
    /// snippet fails; empty when that restore fails.
    /// </summary>
    public async Task<IReadOnlyList<HintCandidate>> HintCandidatesAsync(DocumentationPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        var assets = await _hints.Value;
        if (assets is null)
        {
            return [];
        }

        return HintIds()
            .Where(id => !page.Packages.Any(p => string.Equals(p.Id, id, StringComparison.OrdinalIgnoreCase)))
            .Select(id => new HintCandidate(id, assets.Closure([id])))
            .Where(c => c.Closure.Missing.Count == 0)
            .ToArray();
    }

    private static IEnumerable<string> HintIds() =>
        Repository.PackageIds.Where(id => id != "TokenAccounting.Tool")
            .Concat(XDocument.Load(Repository.Path("Directory.Packages.props")).Descendants("PackageVersion")
                .Select(e => (string?)e.Attribute("Include"))
                .OfType<string>()
                .Where(id => !NotHintedPrefixes.Any(prefix => id.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))))
            .Distinct(StringComparer.OrdinalIgnoreCase);

    private static async Task<PackageAssets?> RestoreHintsAsync(PackedPackages packed)
    {
        var directory = Path.Combine(packed.Scratch, "snippets-hints");
        var references = HintIds().Select(id => new PagePackage(id, IsTokenAccounting(id) ? Repository.Version : Repository.CentralVersion(id))).ToArray();
        var restore = await RestoreProjectAsync(packed, directory, references, "<NoWarn>NU1605;NU1608;NU1603;NU1701</NoWarn>");
        return restore.ExitCode == 0 ? PackageAssets.Load(Path.Combine(directory, "obj", "project.assets.json")) : null;
    }

    private static async Task<DocumentationPackages> RestoreAsync(PackedPackages packed, IReadOnlyList<DocumentationPage> pages)
    {
        var result = new DocumentationPackages(packed);
        var wanted = new List<(DocumentationPage Page, IReadOnlyList<PagePackage> Packages)>();
        foreach (var page in pages)
        {
            var (packages, problems) = Versions(page, Repository.Version, Repository.PackageIds, CentralVersionOrNull);
            if (problems.Count > 0)
            {
                result._pages[page.Name] = (packages, null, string.Join(Environment.NewLine, problems));
            }
            else if (packages.Count == 0)
            {
                result._pages[page.Name] = (packages, null, null);
            }
            else
            {
                wanted.Add((page, packages));
            }
        }

        // Pages that agree on every version share a project.
        var groups = new List<(Dictionary<string, string> Versions, List<(DocumentationPage Page, IReadOnlyList<PagePackage> Packages)> Pages)>();
        foreach (var entry in wanted)
        {
            var group = groups.Find(g => entry.Packages.All(p => !g.Versions.TryGetValue(p.Id, out var v) || v == p.Version));
            if (group.Versions is null)
            {
                group = (new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), []);
                groups.Add(group);
            }

            foreach (var package in entry.Packages)
            {
                group.Versions[package.Id] = package.Version;
            }

            group.Pages.Add(entry);
        }

        var projects = new List<string>();
        foreach (var group in groups)
        {
            await RestoreGroupAsync(packed, group.Pages, result, projects);
        }

        result.RestoreProjects = projects;
        return result;
    }

    private static async Task RestoreGroupAsync(PackedPackages packed, List<(DocumentationPage Page, IReadOnlyList<PagePackage> Packages)> pages, DocumentationPackages result, List<string> projects)
    {
        var directory = Path.Combine(packed.Scratch, $"snippets-{projects.Count + 1}");
        projects.Add(directory);
        var references = pages.SelectMany(p => p.Packages).DistinctBy(p => p.Id, StringComparer.OrdinalIgnoreCase).OrderBy(p => p.Id, StringComparer.Ordinal).ToArray();
        var restore = await RestoreProjectAsync(packed, directory, references, null);
        if (restore.ExitCode == 0)
        {
            var assets = PackageAssets.Load(Path.Combine(directory, "obj", "project.assets.json"));
            foreach (var (page, packages) in pages)
            {
                result._pages[page.Name] = (packages, assets, null);
            }
        }
        else if (pages.Count == 1)
        {
            result._pages[pages[0].Page.Name] = (pages[0].Packages, null, $"restoring its packages ({string.Join(", ", pages[0].Packages.Select(p => $"{p.Id} {p.Version}"))}) failed: {restore.Describe()}");
        }
        else
        {
            foreach (var page in pages)
            {
                await RestoreGroupAsync(packed, [page], result, projects);
            }
        }
    }

    private static async Task<CommandResult> RestoreProjectAsync(PackedPackages packed, string directory, IReadOnlyList<PagePackage> references, string? properties)
    {
        Directory.CreateDirectory(directory);
        var project = new XElement(
            "Project",
            new XAttribute("Sdk", "Microsoft.NET.Sdk"),
            new XElement(
                "PropertyGroup",
                new XElement("TargetFramework", "net10.0"),
                new XElement("NuGetAudit", "false"),
                properties is null ? null : XElement.Parse(properties)),
            new XElement("ItemGroup", references.Select(r => new XElement("PackageReference", new XAttribute("Include", r.Id), new XAttribute("Version", r.Version)))));
        new XDocument(project).Save(Path.Combine(directory, "Snippets.csproj"));
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(packed.Scratch, "nuget-packages")}" />
              </config>
              <packageSources>
                <add key="packed" value="{packed.Folder}" />
              </packageSources>
            </configuration>
            """);
        return await DotNet.RunAsync(directory, ["restore", "-nologo", "-v:minimal"], RestoreTimeout);
    }

    private static string? CentralVersionOrNull(string id)
    {
        try
        {
            return Repository.CentralVersion(id);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
