using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;

namespace TokenAccounting.Packaging.Tests.Documentation;

/// <summary>A package a hint may suggest: its id and its closure.</summary>
public sealed record HintCandidate(string Id, PackageClosure Closure);

/// <summary>
/// Advice for a failing compilation (never a pass or a failure of its own): the names the compiler could not find
/// (CS0246, CS0234, CS0103, CS1061, CS0012) are looked up in the public types, namespaces and static classes'
/// methods of candidate packages, and the fewest packages that define them are suggested, checked by compiling
/// with them: "a `dotnet add package` line is missing" rather than "a using is".
/// </summary>
public static partial class MissingPackageHints
{
    private static readonly HashSet<string> NameErrors = new(StringComparer.Ordinal) { "CS0246", "CS0234", "CS0103", "CS1061", "CS0012", "CS0117", "CS0400" };
    private static readonly ConcurrentDictionary<string, IReadOnlySet<string>> Names = new(StringComparer.Ordinal);

    /// <summary>The hint for <paramref name="errors"/>, or <see langword="null"/> when no candidate helps.</summary>
    public static string? Suggest(string page, IReadOnlyList<CodeBlock> blocks, PageReferences references, IReadOnlyList<SnippetError> errors, IReadOnlyList<HintCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(references);
        ArgumentNullException.ThrowIfNull(errors);
        ArgumentNullException.ThrowIfNull(candidates);
        var missing = errors.Where(e => NameErrors.Contains(e.Id)).SelectMany(MissingNames).ToHashSet(StringComparer.Ordinal);
        if (missing.Count == 0 || candidates.Count == 0)
        {
            return null;
        }

        var present = new HashSet<string>(references.Paths, StringComparer.Ordinal);
        var chosen = new List<HintCandidate>();
        var uncovered = new HashSet<string>(missing, StringComparer.Ordinal);
        while (uncovered.Count > 0 && chosen.Count < 3)
        {
            var best = candidates
                .Where(c => !chosen.Contains(c))
                .Select(c => (Candidate: c, Covers: uncovered.Where(n => c.Closure.Paths.Where(p => !present.Contains(p)).Any(p => Defined(p).Contains(n))).ToArray()))
                .Where(c => c.Covers.Length > 0)
                .OrderByDescending(c => c.Covers.Length)
                .ThenBy(c => c.Candidate.Closure.Packages.Count)
                .ThenBy(c => c.Candidate.Id, StringComparer.Ordinal)
                .FirstOrDefault();
            if (best.Candidate is null)
            {
                break;
            }

            chosen.Add(best.Candidate);
            uncovered.ExceptWith(best.Covers);
        }

        if (chosen.Count == 0)
        {
            return null;
        }

        var paths = references.Paths.Concat(chosen.SelectMany(c => c.Closure.Paths)).ToList();
        if (chosen.Any(c => c.Closure.FrameworkReferences.Contains("Microsoft.AspNetCore.App")) && !references.Paths.Contains(ReferencePacks.AspNetCoreApp[0]))
        {
            paths.AddRange(ReferencePacks.AspNetCoreApp);
        }

        var after = SnippetCompiler.Compile(page, blocks, paths, references.ImplicitUsings, references.Analyzers.Concat(chosen.SelectMany(c => c.Closure.Analyzers))).Count;
        if (after >= errors.Count)
        {
            return null;
        }

        var lines = string.Join(" and ", chosen.Select(c => $"`dotnet add package {c.Id}`"));
        return after == 0
            ? $"hint: with {lines} on the page, this compiles"
            : $"hint: with {lines} on the page, {errors.Count - after} of these {errors.Count} errors go away";
    }

    /// <summary>The names an error says are missing: a type, a namespace (full), a member, an assembly.</summary>
    public static IEnumerable<string> MissingNames(SnippetError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var quoted = Quoted().Matches(error.Message).Select(m => m.Groups[1].Value).ToArray();
        return error.Id switch
        {
            "CS0234" when quoted.Length >= 2 => [quoted[1] + "." + quoted[0]],
            "CS1061" or "CS0117" when quoted.Length >= 2 => [quoted[1]],
            "CS0012" when quoted.Length >= 2 => [quoted[0].Split('.')[^1], "assembly:" + quoted[1].Split(',')[0]],
            _ when quoted.Length >= 1 => [quoted[0].Split('<')[0]],
            _ => [],
        };
    }

    /// <summary>What an assembly defines publicly: type names, namespaces (each prefix), static classes' method names, and "assembly:Name".</summary>
    private static IReadOnlySet<string> Defined(string path) => Names.GetOrAdd(path, p =>
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var stream = File.OpenRead(p);
        using var reader = new PEReader(stream);
        if (!reader.HasMetadata)
        {
            return names;
        }

        var metadata = reader.GetMetadataReader();
        if (metadata.IsAssembly)
        {
            names.Add("assembly:" + metadata.GetString(metadata.GetAssemblyDefinition().Name));
        }

        foreach (var handle in metadata.TypeDefinitions)
        {
            var type = metadata.GetTypeDefinition(handle);
            var visibility = type.Attributes & TypeAttributes.VisibilityMask;
            if (visibility != TypeAttributes.Public)
            {
                continue;
            }

            var name = metadata.GetString(type.Name);
            var tick = name.IndexOf('`', StringComparison.Ordinal);
            names.Add(tick < 0 ? name : name[..tick]);
            var ns = metadata.GetString(type.Namespace);
            for (var dot = ns.Length; dot > 0; dot = ns.LastIndexOf('.', dot - 1))
            {
                names.Add(ns[..dot]);
            }

            if ((type.Attributes & (TypeAttributes.Abstract | TypeAttributes.Sealed)) == (TypeAttributes.Abstract | TypeAttributes.Sealed))
            {
                foreach (var method in type.GetMethods())
                {
                    names.Add(metadata.GetString(metadata.GetMethodDefinition(method).Name));
                }
            }
        }

        return names;
    });

    [GeneratedRegex("'([^']+)'")]
    private static partial Regex Quoted();
}
