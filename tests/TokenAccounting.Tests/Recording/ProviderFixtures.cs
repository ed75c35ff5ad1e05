using System.Text;

namespace TokenAccounting.Tests.Recording;

/// <summary>Reads the provider payload fixtures in tests/TokenAccounting.Tests/Fixtures/Providers.</summary>
internal static class ProviderFixtures
{
    private static readonly Lazy<string> Directory = new(Locate);

    public static string Read(string name) => File.ReadAllText(Path.Combine(Directory.Value, name), Encoding.UTF8);

    public static byte[] ReadUtf8(string name) => File.ReadAllBytes(Path.Combine(Directory.Value, name));

    // The fixtures live in the source tree; walk up from the test binaries to find them.
    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Fixtures", "Providers");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }

            candidate = Path.Combine(dir.FullName, "tests", "TokenAccounting.Tests", "Fixtures", "Providers");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("Fixtures/Providers not found above " + AppContext.BaseDirectory);
    }
}
