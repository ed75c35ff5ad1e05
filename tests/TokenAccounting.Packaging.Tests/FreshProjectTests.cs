using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using TokenAccounting.Packaging.Tests.Infrastructure;

namespace TokenAccounting.Packaging.Tests;

/// <summary>
/// A new user's first run, from the packed packages only: a fresh console project restores them from a local folder
/// (with their dependencies from the machine's feed, into a package cache of its own so nothing stale is reused),
/// builds and runs the QuickStart sample's code, and the `tokenaccounting` tool installed from its package reports the
/// ledger the sample wrote. A missing dependency, a wrong package layout or a broken tool package fails here.
/// </summary>
[Collection(PackedPackagesGroup.Name)]
public sealed partial class FreshProjectTests(PackedPackages packages)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task QuickStartAndTool_FromThePackedPackages_RunAndAgreeOnTheLedgerTotals()
    {
        packages.Pack.ShouldSucceed();
        var project = Path.Combine(packages.Scratch, "QuickStart");
        var cache = Path.Combine(packages.Scratch, "nuget-packages");
        Directory.CreateDirectory(project);
        foreach (var source in Directory.GetFiles(Repository.Path("samples", "QuickStart"), "*.cs"))
        {
            File.Copy(source, Path.Combine(project, Path.GetFileName(source)));
        }

        var packageIds = WriteProjectFromSample(Path.Combine(project, "QuickStart.csproj"), Repository.Path("samples", "QuickStart", "QuickStart.csproj"));
        packageIds.ShouldContain("TokenAccounting");
        File.WriteAllText(Path.Combine(project, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{cache}" />
              </config>
              <packageSources>
                <add key="packed" value="{packages.Folder}" />
              </packageSources>
            </configuration>
            """);

        var run = (await DotNet.RunAsync(project, ["run", "-c", "Release"], CommandTimeout)).ShouldSucceed();

        foreach (var id in packageIds.Where(id => id.StartsWith("TokenAccounting", StringComparison.Ordinal)))
        {
            var restored = Path.Combine(cache, id.ToLowerInvariant(), Repository.Version, ".nupkg.metadata");
            File.Exists(restored).ShouldBeTrue($"{id} {Repository.Version} was not restored into the fresh cache");
            File.ReadAllText(restored).ShouldContain(JsonEncodedText.Encode(packages.Folder).ToString(), Case.Sensitive, $"{id} came from another source than the packed folder");
        }

        var users = UserRows(run.StandardOutput);
        users.Count.ShouldBe(2, run.Describe());

        var tools = Path.Combine(packages.Scratch, "tools");
        (await DotNet.RunAsync(
            packages.Scratch,
            ["tool", "install", "TokenAccounting.Tool", "--tool-path", tools, "--add-source", packages.Folder, "--version", Repository.Version],
            CommandTimeout,
            new Dictionary<string, string> { ["NUGET_PACKAGES"] = cache })).ShouldSucceed();
        var report = (await DotNet.RunProgramAsync(
            Path.Combine(tools, "tokenaccounting"),
            project,
            ["report", "usage-ledger", "--format", "json"],
            CommandTimeout)).ShouldSucceed();

        using var json = JsonDocument.Parse(report.StandardOutput);
        var totals = json.RootElement.GetProperty("totals");
        totals.GetProperty("requests").GetInt64().ShouldBe(users.Sum(u => u.Requests), report.Describe());
        totals.GetProperty("total_tokens").GetInt64().ShouldBe(users.Sum(u => u.Tokens), report.Describe());
        // The sample prints each user's cost rounded to six places.
        Math.Abs(totals.GetProperty("cost_usd").GetDecimal() - users.Sum(u => u.Cost)).ShouldBeLessThanOrEqualTo(0.000001m * users.Count, report.Describe());
    }

    /// <summary>
    /// Writes a fresh project file from a sample's: every project reference becomes a package reference at this
    /// version, every package reference gets its central version; returns the package ids referenced.
    /// </summary>
    private static List<string> WriteProjectFromSample(string target, string sample)
    {
        var source = XDocument.Load(sample);
        var references = new List<(string Id, string Version)>();
        foreach (var reference in source.Descendants("ProjectReference"))
        {
            var id = Path.GetFileNameWithoutExtension(reference.Attribute("Include")!.Value.Replace('\\', '/'));
            references.Add((id, Repository.Version));
        }

        foreach (var reference in source.Descendants("PackageReference"))
        {
            var id = reference.Attribute("Include")!.Value;
            references.Add((id, Repository.CentralVersion(id)));
        }

        var project = new XElement(
            "Project",
            new XAttribute("Sdk", source.Root!.Attribute("Sdk")!.Value),
            new XElement(
                "PropertyGroup",
                new XElement("OutputType", "Exe"),
                new XElement("TargetFramework", "net10.0"),
                new XElement("Nullable", "enable"),
                new XElement("ImplicitUsings", "enable"),
                new XElement("NuGetAudit", "false")),
            new XElement("ItemGroup", references.Select(r => new XElement("PackageReference", new XAttribute("Include", r.Id), new XAttribute("Version", r.Version)))));
        new XDocument(project).Save(target);
        return references.Select(r => r.Id).ToList();
    }

    /// <summary>The rows of the sample's "Usage per user" table: user, requests, input, output, total, cost.</summary>
    private static List<(string User, long Requests, long Tokens, decimal Cost)> UserRows(string output)
    {
        var rows = new List<(string, long, long, decimal)>();
        var lines = output.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var table = Array.FindIndex(lines, line => line.StartsWith("Usage per user", StringComparison.Ordinal));
        table.ShouldBeGreaterThanOrEqualTo(0, output);
        foreach (var line in lines.Skip(table + 3).TakeWhile(line => line.Trim().Length > 0))
        {
            var match = UserRow().Match(line);
            match.Success.ShouldBeTrue($"not a user row: '{line}'");
            rows.Add((
                match.Groups["user"].Value,
                long.Parse(match.Groups["requests"].Value, CultureInfo.InvariantCulture),
                long.Parse(match.Groups["total"].Value, CultureInfo.InvariantCulture),
                decimal.Parse(match.Groups["cost"].Value, CultureInfo.InvariantCulture)));
        }

        return rows;
    }

    [GeneratedRegex(@"^\s*(?<user>\S+)\s+(?<requests>\d+)\s+\d+\s+\d+\s+(?<total>\d+)\s+(?<cost>\d+\.\d+)\s*$")]
    private static partial Regex UserRow();
}
