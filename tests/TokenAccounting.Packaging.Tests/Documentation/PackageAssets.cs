using System.Text.Json;

namespace TokenAccounting.Packaging.Tests.Documentation;

/// <summary>The compile assets of a page's packages and their dependencies.</summary>
/// <param name="Paths">The compile-time assemblies (full paths).</param>
/// <param name="FrameworkReferences">The shared frameworks the packages reference (e.g. <c>Microsoft.AspNetCore.App</c>).</param>
/// <param name="Packages">Every package of the closure, as <c>Id/Version</c>.</param>
/// <param name="Missing">The ids asked for that the restore did not resolve.</param>
/// <param name="Analyzers">The packages' C# analyzer assemblies (their source generators run).</param>
public sealed record PackageClosure(IReadOnlyList<string> Paths, IReadOnlySet<string> FrameworkReferences, IReadOnlyList<string> Packages, IReadOnlyList<string> Missing, IReadOnlyList<string> Analyzers);

/// <summary>
/// A restored project's <c>obj/project.assets.json</c> read for one target framework: what each package compiles
/// against (<c>targets[tfm][Id/Version].compile</c>, placeholders <c>_._</c> left out) and what it depends on.
/// A closure follows the dependencies the way NuGet resolved them in that project.
/// </summary>
public sealed class PackageAssets
{
    private readonly Dictionary<string, Library> _libraries;

    private PackageAssets(Dictionary<string, Library> libraries) => _libraries = libraries;

    /// <summary>Reads <paramref name="assetsPath"/> for <paramref name="targetFramework"/>.</summary>
    public static PackageAssets Load(string assetsPath, string targetFramework = "net10.0")
    {
        using var json = JsonDocument.Parse(File.ReadAllText(assetsPath));
        var root = json.RootElement;
        var folders = root.GetProperty("packageFolders").EnumerateObject().Select(p => p.Name).ToArray();
        var libraries = new Dictionary<string, Library>(StringComparer.OrdinalIgnoreCase);
        if (!root.GetProperty("targets").TryGetProperty(targetFramework, out var target))
        {
            throw new InvalidOperationException($"{assetsPath} has no target '{targetFramework}'.");
        }

        foreach (var entry in target.EnumerateObject())
        {
            if (!entry.Value.TryGetProperty("type", out var type) || type.GetString() != "package")
            {
                continue;
            }

            var slash = entry.Name.IndexOf('/', StringComparison.Ordinal);
            var id = entry.Name[..slash];
            var library = root.GetProperty("libraries").GetProperty(entry.Name);
            var relative = library.GetProperty("path").GetString()!;
            var files = library.TryGetProperty("files", out var listed) ? listed.EnumerateArray().Select(f => f.GetString()!).ToArray() : [];
            var analyzers = SourceGenerators.CSharpAnalyzers(files)
                .Select(a => folders.Select(f => Path.Combine(f, relative, a)).FirstOrDefault(File.Exists))
                .OfType<string>()
                .ToArray();
            var compile = new List<string>();
            if (entry.Value.TryGetProperty("compile", out var assets))
            {
                foreach (var asset in assets.EnumerateObject().Where(a => !a.Name.EndsWith("_._", StringComparison.Ordinal)))
                {
                    var path = folders.Select(f => Path.Combine(f, relative, asset.Name)).FirstOrDefault(File.Exists)
                        ?? throw new InvalidOperationException($"{entry.Name}: compile asset {asset.Name} is in none of the package folders {string.Join(", ", folders)}.");
                    compile.Add(path);
                }
            }

            var dependencies = entry.Value.TryGetProperty("dependencies", out var deps) ? deps.EnumerateObject().Select(d => d.Name).ToArray() : [];
            var frameworks = entry.Value.TryGetProperty("frameworkReferences", out var fx) ? fx.EnumerateArray().Select(f => f.GetString()!).ToArray() : [];
            libraries[id] = new Library(entry.Name, compile, dependencies, frameworks, analyzers);
        }

        return new PackageAssets(libraries);
    }

    /// <summary>The packages <paramref name="ids"/> and everything they depend on.</summary>
    public PackageClosure Closure(IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var paths = new List<string>();
        var frameworks = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var packages = new List<string>();
        var missing = new List<string>();
        var analyzers = new List<string>();
        var pending = new Queue<string>(ids);
        while (pending.TryDequeue(out var id))
        {
            if (!seen.Add(id))
            {
                continue;
            }

            if (!_libraries.TryGetValue(id, out var library))
            {
                missing.Add(id);
                continue;
            }

            packages.Add(library.Key);
            paths.AddRange(library.Compile);
            frameworks.UnionWith(library.FrameworkReferences);
            analyzers.AddRange(library.Analyzers);
            foreach (var dependency in library.Dependencies)
            {
                pending.Enqueue(dependency);
            }
        }

        return new PackageClosure(paths, frameworks, packages, missing, analyzers);
    }

    private sealed record Library(string Key, IReadOnlyList<string> Compile, IReadOnlyList<string> Dependencies, IReadOnlyList<string> FrameworkReferences, IReadOnlyList<string> Analyzers);
}
