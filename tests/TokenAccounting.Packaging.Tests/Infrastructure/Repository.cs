using System.Reflection;
using System.Xml.Linq;

namespace TokenAccounting.Packaging.Tests.Infrastructure;

/// <summary>The repository this test assembly was built from, and the facts about it the tests compare against.</summary>
internal static class Repository
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The folder holding TokenAccounting.sln.</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>The configuration this assembly was built in (Debug or Release): the packages are packed from it.</summary>
    public static string Configuration =>
        typeof(Repository).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    /// <summary>The &lt;Version&gt; of Directory.Build.props.</summary>
    public static string Version => Property("Directory.Build.props", "Version");

    /// <summary>The &lt;RepositoryUrl&gt; of Directory.Build.props.</summary>
    public static string RepositoryUrl => Property("Directory.Build.props", "RepositoryUrl");

    /// <summary>The package ids TokenAccounting.Packages.slnf packs: the file names of its projects.</summary>
    public static IReadOnlyList<string> PackageIds =>
        File.ReadAllLines(System.IO.Path.Combine(Root, "TokenAccounting.Packages.slnf"))
            .Select(line => line.Trim().Trim(',').Trim('"'))
            .Where(line => line.EndsWith(".csproj", StringComparison.Ordinal))
            .Select(line => System.IO.Path.GetFileNameWithoutExtension(line.Replace('\\', '/')))
            .ToArray();

    /// <summary>A repository file's full path.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>The central version of a package (Directory.Packages.props), with its $(…) properties expanded.</summary>
    public static string CentralVersion(string packageId)
    {
        var props = XDocument.Load(Path("Directory.Packages.props"));
        var version = props.Descendants("PackageVersion")
            .FirstOrDefault(e => string.Equals((string?)e.Attribute("Include"), packageId, StringComparison.OrdinalIgnoreCase))
            ?.Attribute("Version")?.Value
            ?? throw new InvalidOperationException($"Directory.Packages.props has no PackageVersion for '{packageId}'.");
        while (version.Contains("$(", StringComparison.Ordinal))
        {
            var start = version.IndexOf("$(", StringComparison.Ordinal);
            var end = version.IndexOf(')', start);
            var name = version[(start + 2)..end];
            version = version[..start] + Property("Directory.Packages.props", name) + version[(end + 1)..];
        }

        return version;
    }

    private static string Property(string file, string name) =>
        XDocument.Load(Path(file)).Descendants(name).FirstOrDefault()?.Value.Trim()
        ?? throw new InvalidOperationException($"{file} defines no <{name}>.");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "TokenAccounting.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No TokenAccounting.sln above {AppContext.BaseDirectory}.");
    }
}
