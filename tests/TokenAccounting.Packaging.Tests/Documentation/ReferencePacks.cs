namespace TokenAccounting.Packaging.Tests.Documentation;

/// <summary>
/// The reference assemblies a net10.0 project compiles against, from the SDK's targeting packs
/// (<c>packs/Microsoft.NETCore.App.Ref</c>, <c>packs/Microsoft.AspNetCore.App.Ref</c>) of the dotnet installation
/// running this test: the pack of the running runtime's version, else the newest 10.0 one.
/// </summary>
public static class ReferencePacks
{
    private static readonly Lazy<string> LazyNetCore = new(() => Pack("Microsoft.NETCore.App.Ref"));
    private static readonly Lazy<string> LazyAspNetCore = new(() => Pack("Microsoft.AspNetCore.App.Ref"));

    /// <summary>Microsoft.NETCore.App's reference assemblies.</summary>
    public static IReadOnlyList<string> NetCoreApp => Assemblies(LazyNetCore.Value);

    /// <summary>Microsoft.AspNetCore.App's reference assemblies (the ASP.NET Core shared framework).</summary>
    public static IReadOnlyList<string> AspNetCoreApp => Assemblies(LazyAspNetCore.Value);

    /// <summary>The C# analyzers and source generators Microsoft.NETCore.App.Ref brings to every build (System.Text.Json, Regex, LibraryImport).</summary>
    public static IReadOnlyList<string> NetCoreAppAnalyzers => Analyzers(LazyNetCore.Value);

    /// <summary>The C# analyzers and source generators of Microsoft.AspNetCore.App.Ref (logging, options, …).</summary>
    public static IReadOnlyList<string> AspNetCoreAppAnalyzers => Analyzers(LazyAspNetCore.Value);

    /// <summary>The reference assemblies of a shared framework a package references (<c>frameworkReferences</c>).</summary>
    public static IReadOnlyList<string> Framework(string name) => name switch
    {
        "Microsoft.NETCore.App" => NetCoreApp,
        "Microsoft.AspNetCore.App" => AspNetCoreApp,
        _ => throw new InvalidOperationException($"No targeting pack is known for the shared framework '{name}'."),
    };

    private static string[] Assemblies(string pack) =>
        Directory.GetFiles(Path.Combine(pack, "ref", "net10.0"), "*.dll").Order(StringComparer.Ordinal).ToArray();

    private static string[] Analyzers(string pack)
    {
        var folder = Path.Combine(pack, "analyzers", "dotnet", "cs");
        return Directory.Exists(folder) ? Directory.GetFiles(folder, "*.dll").Order(StringComparer.Ordinal).ToArray() : [];
    }

    private static string Pack(string name)
    {
        var packs = Path.Combine(DotNetRoot(), "packs", name);
        if (!Directory.Exists(packs))
        {
            throw new InvalidOperationException($"The .NET SDK has no targeting pack {name} (looked in {packs}).");
        }

        var runtime = Environment.Version.ToString(3);
        var versions = Directory.GetDirectories(packs).Select(Path.GetFileName).OfType<string>()
            .Where(v => v.StartsWith("10.0.", StringComparison.Ordinal) && Directory.Exists(Path.Combine(packs, v, "ref", "net10.0")))
            .ToArray();
        var version = versions.FirstOrDefault(v => v == runtime)
            ?? versions.OrderByDescending(v => Version.TryParse(v.Split('-')[0], out var parsed) ? parsed : new Version()).FirstOrDefault()
            ?? throw new InvalidOperationException($"{packs} has no 10.0 version with ref/net10.0.");
        return Path.Combine(packs, version);
    }

    private static string DotNetRoot()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root && Directory.Exists(Path.Combine(root, "packs")))
        {
            return root;
        }

        // <root>/shared/Microsoft.NETCore.App/<version>/
        var runtimeDirectory = new DirectoryInfo(Path.GetDirectoryName(typeof(object).Assembly.Location)!);
        return runtimeDirectory.Parent?.Parent?.Parent?.FullName
            ?? throw new InvalidOperationException($"Cannot find the dotnet root above {runtimeDirectory.FullName}.");
    }
}
