using System.IO.Compression;
using System.Reflection.Metadata;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using TokenAccounting.Packaging.Tests.Infrastructure;

namespace TokenAccounting.Packaging.Tests;

/// <summary>What every package holds, read from the .nupkg and .snupkg files the pack produced.</summary>
[Collection(PackedPackagesGroup.Name)]
public sealed partial class PackageContentsTests(PackedPackages packages)
{
    private static readonly Guid SourceLinkId = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    public static TheoryData<string> PackageIds => new(Repository.PackageIds);

    [Fact]
    public void Pack_SolutionFilter_ListsEverySourceProjectAndPacksEachWithSymbols()
    {
        packages.Pack.ShouldSucceed();
        var sourceProjects = Directory.GetDirectories(Repository.Path("src"))
            .Where(dir => File.Exists(Path.Combine(dir, Path.GetFileName(dir) + ".csproj")))
            .Select(dir => Path.GetFileName(dir))
            .Order(StringComparer.Ordinal)
            .ToArray();
        Repository.PackageIds.Order(StringComparer.Ordinal).ToArray().ShouldBe(sourceProjects, "TokenAccounting.Packages.slnf must list every project under src/");
        foreach (var id in Repository.PackageIds)
        {
            File.Exists(packages.Nupkg(id)).ShouldBeTrue($"{id}: no .nupkg in {packages.Folder}");
            File.Exists(packages.Snupkg(id)).ShouldBeTrue($"{id}: no .snupkg in {packages.Folder}");
        }
    }

    [Theory]
    [MemberData(nameof(PackageIds))]
    public void Nuspec_EachPackage_CarriesVersionLicenseIconReadmeRepositoryAndReleaseNotes(string id)
    {
        packages.Pack.ShouldSucceed();
        var metadata = Metadata(packages.Nuspec(id));

        Value(metadata, "id").ShouldBe(id);
        Value(metadata, "version").ShouldBe(Repository.Version);
        Value(metadata, "description").ShouldNotBeNullOrWhiteSpace();
        Value(metadata, "license").ShouldBe("MIT");
        Value(metadata, "icon").ShouldBe("icon.png");
        Value(metadata, "readme").ShouldBe("README.md");
        Value(metadata, "projectUrl").ShouldBe(Repository.RepositoryUrl);

        var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
        ((string?)repository.Attribute("type")).ShouldBe("git");
        ((string?)repository.Attribute("url")).ShouldBe(Repository.RepositoryUrl);
        ((string?)repository.Attribute("commit")).ShouldNotBeNull().ShouldMatch("^[0-9a-f]{40}$");

        Normalize(Value(metadata, "releaseNotes")).ShouldBe(Normalize(ChangelogSection(Repository.Version)), $"{id}: the release notes are the CHANGELOG's section for {Repository.Version}");
    }

    [Theory]
    [MemberData(nameof(PackageIds))]
    public void Nupkg_EachPackage_ShipsItsOwnReadmeWithAbsoluteLinksTheIconAndDocumentedAssemblies(string id)
    {
        packages.Pack.ShouldSucceed();
        using var zip = ZipFile.OpenRead(packages.Nupkg(id));
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);

        entries.ShouldContain("icon.png");
        entries.ShouldContain("README.md");
        var readme = Read(zip, "README.md");
        readme.ShouldBe(File.ReadAllText(Repository.Path("src", id, "README.md")), $"{id} ships src/{id}/README.md");
        readme.ShouldStartWith($"# {id}");
        RelativeLink().Matches(readme).Select(m => m.Value).ShouldBeEmpty($"{id}'s README must use absolute links: relative ones break on nuget.org");

        if (id == "TokenAccounting.Tool")
        {
            entries.ShouldContain("tools/net10.0/any/TokenAccounting.Tool.dll");
            var packageType = packages.Nuspec(id).Descendants().Single(e => e.Name.LocalName == "packageType");
            ((string?)packageType.Attribute("name")).ShouldBe("DotnetTool");
            return;
        }

        foreach (var framework in new[] { "net8.0", "net10.0" })
        {
            entries.ShouldContain($"lib/{framework}/{id}.dll");
            entries.ShouldContain($"lib/{framework}/{id}.xml", $"{id}: XML docs for {framework}");
        }

        if (id == "TokenAccounting")
        {
            entries.ShouldContain("THIRD-PARTY-NOTICES.md", "the built-in catalog is generated from genai-prices (MIT): its notice ships with it");
        }
    }

    [Theory]
    [MemberData(nameof(PackageIds))]
    public void Snupkg_EachPackage_HoldsPortablePdbsThatSourceLinkToTheCommit(string id)
    {
        packages.Pack.ShouldSucceed();
        var commit = Metadata(packages.Nuspec(id)).Elements().Single(e => e.Name.LocalName == "repository").Attribute("commit")!.Value;
        using var zip = ZipFile.OpenRead(packages.Snupkg(id));
        var pdbs = zip.Entries.Where(e => e.FullName.EndsWith($"/{id}.pdb", StringComparison.Ordinal)).ToArray();
        pdbs.Length.ShouldBe(id == "TokenAccounting.Tool" ? 1 : 2, $"{id}: one PDB per target framework");

        foreach (var entry in pdbs)
        {
            var documents = SourceLinkDocuments(entry);
            documents.ShouldNotBeEmpty($"{entry.FullName}: no SourceLink");
            documents.Values.ShouldAllBe(url => url.StartsWith("https://raw.githubusercontent.com/", StringComparison.Ordinal) && url.EndsWith($"/{commit}/*", StringComparison.Ordinal));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(PackageIds))]
    public void Pdb_ContinuousIntegrationBuild_NamesNoBuildMachinePath(string id)
    {
        // Local builds keep real paths for debugging; `.ci/run` sets the variable, and there this test asserts.
        Skip.IfNot(Environment.GetEnvironmentVariable("TOKENACCOUNTING_CI_BUILD") == "true", "ContinuousIntegrationBuild is on only with TOKENACCOUNTING_CI_BUILD=true (set by .ci/run)");
        packages.Pack.ShouldSucceed();

        using var zip = ZipFile.OpenRead(packages.Snupkg(id));
        foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith(".pdb", StringComparison.Ordinal)))
        {
            using var provider = OpenPdb(entry);
            var reader = provider.GetMetadataReader();
            foreach (var handle in reader.Documents)
            {
                var name = reader.GetString(reader.GetDocument(handle).Name);
                name.ShouldStartWith("/_/", Case.Sensitive, $"{entry.FullName} names a source file by its build-machine path");
            }
        }

        using var package = ZipFile.OpenRead(packages.Nupkg(id));
        var root = Encoding.UTF8.GetBytes(Repository.Root.TrimEnd('/'));
        foreach (var entry in package.Entries.Where(e => e.FullName.EndsWith(".dll", StringComparison.Ordinal) && e.FullName.Contains("TokenAccounting", StringComparison.Ordinal)))
        {
            using var stream = entry.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.ToArray().AsSpan().IndexOf(root).ShouldBe(-1, $"{entry.FullName} embeds the build machine's path {Repository.Root}");
        }
    }

    /// <summary>The CHANGELOG's section for a version: from after its "## [version]" heading up to the next "## [".</summary>
    internal static string ChangelogSection(string version)
    {
        var changelog = File.ReadAllText(Repository.Path("CHANGELOG.md")).Replace("\r\n", "\n", StringComparison.Ordinal);
        var heading = changelog.IndexOf($"\n## [{version}]", StringComparison.Ordinal);
        heading.ShouldBeGreaterThanOrEqualTo(0, $"CHANGELOG.md has no '## [{version}]' section");
        var start = changelog.IndexOf('\n', heading + 1) + 1;
        var next = changelog.IndexOf("\n## [", start, StringComparison.Ordinal);
        return (next < 0 ? changelog[start..] : changelog[start..next]).Trim();
    }

    private static Dictionary<string, string> SourceLinkDocuments(ZipArchiveEntry pdb)
    {
        using var provider = OpenPdb(pdb);
        var reader = provider.GetMetadataReader();
        foreach (var handle in reader.GetCustomDebugInformation(EntityHandle.ModuleDefinition))
        {
            var information = reader.GetCustomDebugInformation(handle);
            if (reader.GetGuid(information.Kind) == SourceLinkId)
            {
                using var json = JsonDocument.Parse(reader.GetBlobBytes(information.Value));
                return json.RootElement.GetProperty("documents").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            }
        }

        return [];
    }

    private static MetadataReaderProvider OpenPdb(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return MetadataReaderProvider.FromPortablePdbStream(copy);
    }

    private static XElement Metadata(XDocument nuspec) => nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");

    private static string Value(XElement metadata, string name) =>
        metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value ?? throw new ShouldAssertException($"the nuspec has no <{name}>");

    private static string Read(ZipArchive zip, string name)
    {
        using var reader = new StreamReader(zip.GetEntry(name)!.Open());
        return reader.ReadToEnd();
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();

    /// <summary>A Markdown link whose target is neither absolute nor an anchor.</summary>
    [GeneratedRegex(@"\]\((?!https?://|#)[^)]*\)")]
    private static partial Regex RelativeLink();
}
