using System.IO.Compression;
using System.Xml.Linq;

namespace TokenAccounting.Packaging.Tests.Infrastructure;

/// <summary>
/// Packs every package of TokenAccounting.Packages.slnf once per test run, in the configuration this assembly was
/// built in, into a temporary folder that the tests read and restore from. After a solution build (the README's test
/// command builds everything first) the pack's own build is an up-to-date check.
/// </summary>
public sealed class PackedPackages : IAsyncLifetime
{
    private readonly string _root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tokenaccounting-packaging-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>The folder holding the .nupkg and .snupkg files.</summary>
    public string Folder => System.IO.Path.Combine(_root, "packages");

    /// <summary>A scratch folder for fresh projects, removed with the packages.</summary>
    public string Scratch => System.IO.Path.Combine(_root, "scratch");

    /// <summary>The pack command's result.</summary>
    public CommandResult Pack { get; private set; } = null!;

    /// <summary>The path of a package's .nupkg.</summary>
    public string Nupkg(string id) => System.IO.Path.Combine(Folder, $"{id}.{Repository.Version}.nupkg");

    /// <summary>The path of a package's .snupkg.</summary>
    public string Snupkg(string id) => System.IO.Path.Combine(Folder, $"{id}.{Repository.Version}.snupkg");

    /// <summary>The .nuspec inside a package.</summary>
    public XDocument Nuspec(string id)
    {
        using var zip = ZipFile.OpenRead(Nupkg(id));
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase));
        using var stream = entry.Open();
        return XDocument.Load(stream);
    }

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Folder);
        Directory.CreateDirectory(Scratch);
        Pack = await DotNet.RunAsync(
            Repository.Root,
            ["pack", "TokenAccounting.Packages.slnf", "-c", Repository.Configuration, "-o", Folder, "-nologo", "-v:minimal"],
            TimeSpan.FromMinutes(20));
    }

    /// <inheritdoc/>
    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A process the test started may still hold a file for a moment; the folder is under the temp path.
        }
        catch (UnauthorizedAccessException)
        {
        }

        return Task.CompletedTask;
    }
}

/// <summary>The tests that share one <see cref="PackedPackages"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PackedPackagesGroup : ICollectionFixture<PackedPackages>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "packed packages";
}
