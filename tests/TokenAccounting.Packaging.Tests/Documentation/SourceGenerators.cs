using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;

namespace TokenAccounting.Packaging.Tests.Documentation;

/// <summary>
/// The C# source generators a build would run ([JsonSerializable], [GeneratedRegex], [LoggerMessage], …), loaded once
/// per assembly, each folder in a load context of its own that shares Roslyn with this process. Of two analyzer
/// assemblies with one file name (a targeting pack's and a package's copy) only the higher version runs, as the SDK
/// removes duplicate analyzers.
/// </summary>
public static class SourceGenerators
{
    private static readonly ConcurrentDictionary<string, IReadOnlyList<ISourceGenerator>> Loaded = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, FolderLoadContext> Contexts = new(StringComparer.Ordinal);

    /// <summary>
    /// Generators the SDK removes unless a project opts in (<c>EnableRequestDelegateGenerator</c>, on with
    /// <c>PublishAot</c>; <c>EnableConfigurationBindingGenerator</c>): a plain <c>dotnet new web</c> or console build
    /// does not run them, so neither does the snippet compiler (the first also needs interceptors enabled).
    /// </summary>
    private static readonly HashSet<string> OptIn = new(StringComparer.OrdinalIgnoreCase)
    {
        "Microsoft.AspNetCore.Http.RequestDelegateGenerator.dll",
        "Microsoft.Extensions.Configuration.Binder.SourceGeneration.dll",
    };

    /// <summary>The generators of <paramref name="analyzerPaths"/>.</summary>
    public static IReadOnlyList<ISourceGenerator> Load(IEnumerable<string> analyzerPaths)
    {
        ArgumentNullException.ThrowIfNull(analyzerPaths);
        var chosen = new Dictionary<string, (string Path, Version Version)>(StringComparer.OrdinalIgnoreCase);
        foreach (var path in analyzerPaths)
        {
            var version = AssemblyVersion(path);
            var name = Path.GetFileName(path);
            if (OptIn.Contains(name))
            {
                continue;
            }

            if (!chosen.TryGetValue(name, out var current) || version > current.Version)
            {
                chosen[name] = (path, version);
            }
        }

        return chosen.Values.OrderBy(c => c.Path, StringComparer.Ordinal).SelectMany(c => Loaded.GetOrAdd(c.Path, LoadOne)).ToArray();
    }

    /// <summary>
    /// The analyzer assemblies of a package or targeting pack folder for C#: <c>analyzers/dotnet/cs/*.dll</c>,
    /// <c>analyzers/dotnet/*.dll</c>, or those of the highest <c>analyzers/dotnet/roslynX.Y/cs</c> folder.
    /// </summary>
    /// <param name="files">The package's files relative to its folder, '/'-separated.</param>
    public static IReadOnlyList<string> CSharpAnalyzers(IEnumerable<string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var candidates = files
            .Select(f => f.Replace('\\', '/'))
            .Where(f => f.StartsWith("analyzers/dotnet/", StringComparison.OrdinalIgnoreCase) && f.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && !f.EndsWith(".resources.dll", StringComparison.OrdinalIgnoreCase))
            .Select(f => (File: f, Parts: f.Split('/')))
            .Where(f => f.Parts.Length == 3 || (f.Parts.Length == 4 && f.Parts[2] == "cs") || (f.Parts.Length == 5 && f.Parts[2].StartsWith("roslyn", StringComparison.OrdinalIgnoreCase) && f.Parts[3] == "cs"))
            .ToArray();
        var roslyn = candidates.Where(c => c.Parts.Length == 5)
            .Select(c => (c.Parts[2], Version: Version.TryParse(c.Parts[2]["roslyn".Length..], out var v) ? v : null))
            .Where(r => r.Version is not null && r.Version <= typeof(SyntaxNode).Assembly.GetName().Version)
            .OrderByDescending(r => r.Version)
            .Select(r => r.Item1)
            .FirstOrDefault();
        return candidates.Where(c => c.Parts.Length < 5 || c.Parts[2] == roslyn).Select(c => c.File).ToArray();
    }

    private static IReadOnlyList<ISourceGenerator> LoadOne(string path)
    {
        var folder = Path.GetDirectoryName(path)!;
        var context = Contexts.GetOrAdd(folder, f => new FolderLoadContext(f));
        Assembly assembly;
        try
        {
            assembly = context.LoadFromAssemblyPath(path);
        }
        catch (BadImageFormatException)
        {
            return [];
        }

        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            types = e.Types.OfType<Type>().ToArray();
        }

        var generators = new List<ISourceGenerator>();
        foreach (var type in types.Where(t => t is { IsAbstract: false, IsClass: true }))
        {
            var attribute = type.GetCustomAttributes<GeneratorAttribute>(inherit: false).FirstOrDefault();
            if (attribute is null || !attribute.Languages.Contains(LanguageNames.CSharp))
            {
                continue;
            }

            var instance = Activator.CreateInstance(type);
            switch (instance)
            {
                case IIncrementalGenerator incremental:
                    generators.Add(incremental.AsSourceGenerator());
                    break;
                case ISourceGenerator generator:
                    generators.Add(generator);
                    break;
            }
        }

        return generators;
    }

    private static Version AssemblyVersion(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new PEReader(stream);
        return reader.HasMetadata ? reader.GetMetadataReader().GetAssemblyDefinition().Version : new Version();
    }

    /// <summary>Loads an analyzer folder's assemblies; Roslyn and what this process already has come from the default context.</summary>
    private sealed class FolderLoadContext(string folder) : AssemblyLoadContext($"snippet-generators:{folder}")
    {
        protected override Assembly? Load(AssemblyName assemblyName)
        {
            if (assemblyName.Name is { } name && (name.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) || name.StartsWith("System.", StringComparison.Ordinal) || name == "System"))
            {
                return null; // the default context's (this process's Roslyn and runtime)
            }

            var candidate = Path.Combine(folder, assemblyName.Name + ".dll");
            return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
        }
    }
}
