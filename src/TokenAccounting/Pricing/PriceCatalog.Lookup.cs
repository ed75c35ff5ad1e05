using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TokenAccounting;

/// <content>The lookup cache: what each (provider, model) pair seen resolves to, without locks on the read path.</content>
public sealed partial class PriceCatalog
{
    private const int MaxCachedLookups = 4_096;

    // Open addressing with linear probing, at most half full; a slot is written once (null → entry), never changed,
    // so readers need no lock and a probe ends at the first empty slot.
    private const int TableSize = 2 * MaxCachedLookups;
    private const int MaxProbes = 32;

    private Resolution?[]? _table;
    private int _cachedCount;

    /// <summary>
    /// The versions a (provider, model) pair resolves to. A cached pair costs one hash of the model name (a few
    /// characters sampled, not all) and one ordinal comparison of each name, which is a reference comparison when
    /// the caller passes the same string instances again; the catalog is immutable, so entries never go stale.
    /// Caching the versions rather than a price keeps dated prices right: the time picks the version on each call.
    /// </summary>
    private Resolution Resolve(string? provider, string model)
    {
        var hash = Hash(model);
        if (Volatile.Read(ref _table) is { } table)
        {
            var index = hash & (TableSize - 1);
            for (var probe = 0; probe < MaxProbes; probe++)
            {
                var entry = Volatile.Read(ref table[index]);
                if (entry is null)
                {
                    break;
                }

                if (entry.Is(hash, model, provider))
                {
                    return entry;
                }

                index = (index + 1) & (TableSize - 1);
            }
        }

        return ResolveAndCache(provider, model, hash);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Resolution ResolveAndCache(string? provider, string model, int hash)
    {
        var resolved = new Resolution(model, provider, hash, ResolveUncached(provider, model));
        if (Volatile.Read(ref _cachedCount) >= MaxCachedLookups)
        {
            return resolved;
        }

        var table = Volatile.Read(ref _table) ?? Interlocked.CompareExchange(ref _table, new Resolution?[TableSize], null) ?? _table!;
        var index = hash & (TableSize - 1);
        for (var probe = 0; probe < MaxProbes; probe++)
        {
            var entry = Interlocked.CompareExchange(ref table[index], resolved, null);
            if (entry is null)
            {
                Interlocked.Increment(ref _cachedCount);
                return resolved;
            }

            // Another thread cached the same pair first: share its entry.
            if (entry.Is(hash, model, provider))
            {
                return entry;
            }

            index = (index + 1) & (TableSize - 1);
        }

        return resolved;
    }

    /// <summary>
    /// A hash of a model name from its length and up to twelve of its characters (the first four, four in the middle
    /// and the last four), read as three 64-bit words: constant time whatever the length. Names that share those
    /// characters and the length only share a probe sequence; the full comparison tells them apart.
    /// </summary>
    internal static int Hash(string name)
    {
        const ulong K1 = 0x9E3779B97F4A7C15;
        const ulong K2 = 0xC2B2AE3D27D4EB4F;
        const ulong K3 = 0x165667B19E3779F9;
        var length = name.Length;
        ulong h;
        if (length >= 4)
        {
            ref var first = ref Unsafe.As<char, byte>(ref MemoryMarshal.GetReference(name.AsSpan()));
            var head = Unsafe.ReadUnaligned<ulong>(ref first);
            var middle = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref first, (length - 4) / 2 * sizeof(char)));
            var tail = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref first, (length - 4) * sizeof(char)));
            h = ((head * K1) ^ (middle * K2) ^ (tail * K3)) + (ulong)length;
        }
        else
        {
            h = (ulong)length;
            foreach (var c in name)
            {
                h = (h * K1) ^ c;
            }
        }

        h = (h ^ (h >> 29)) * K2;
        return (int)(h ^ (h >> 32));
    }

    /// <summary>What one (provider, model) pair resolves to: the entry's versions, oldest first, and when each took effect.</summary>
    private sealed class Resolution
    {
        private readonly ModelPrice[] _versions;

        // UTC ticks of each version's EffectiveFrom; long.MinValue for a version without one (in effect at every date).
        private readonly long[] _from;

        public Resolution(string model, string? provider, int hash, ModelPrice[] versions)
        {
            Model = model;
            Provider = provider;
            Hash = hash;
            _versions = versions;
            _from = [.. versions.Select(v => v.EffectiveFrom is { } from ? from.UtcTicks : long.MinValue)];
        }

        public string Model { get; }

        public string? Provider { get; }

        public int Hash { get; }

        /// <summary>Whether this is the entry of a pair; a reference comparison when the caller passes the same instances.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Is(int hash, string model, string? provider) =>
            Hash == hash && string.Equals(Model, model, StringComparison.Ordinal) && string.Equals(Provider, provider, StringComparison.Ordinal);

        /// <summary>The newest version already in effect at a moment (UTC ticks), or null.</summary>
        public ModelPrice? At(long utcTicks)
        {
            var from = _from;
            for (var i = from.Length - 1; i >= 0; i--)
            {
                if (from[i] <= utcTicks)
                {
                    return _versions[i];
                }
            }

            return null;
        }
    }
}
