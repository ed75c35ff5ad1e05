using System.Runtime.CompilerServices;

namespace TokenAccounting.Tests.Pricing;

/// <summary>
/// Finds test fixtures under tests/TokenAccounting.Tests/Fixtures/Pricing: in the output directory when the project
/// copies them there, otherwise next to this source file.
/// </summary>
internal static class PricingFixtures
{
    public static string Path(string name, [CallerFilePath] string callerPath = "")
    {
        var copied = System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "Pricing", name);
        if (File.Exists(copied))
        {
            return copied;
        }

        var source = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(callerPath)!, "..", "Fixtures", "Pricing", name);
        File.Exists(source).ShouldBeTrue($"fixture {name} not found in the output directory nor at {source}");
        return source;
    }

    public static Stream Open(string name) => File.OpenRead(Path(name));
}
