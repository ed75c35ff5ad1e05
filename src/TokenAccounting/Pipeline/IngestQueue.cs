using System.Runtime.InteropServices;

namespace TokenAccounting;

/// <summary>
/// A bounded multi-producer queue (Vyukov's array queue) between <c>Record()</c> and the aggregator. Producers
/// never wait: <see cref="TryEnqueue"/> fails when the queue is full or closed. Only the aggregator dequeues.
/// <see cref="Close"/> (at disposal) makes every later enqueue fail, so the aggregator's final drain up to
/// <see cref="EnqueuePosition"/> takes exactly the items whose enqueue succeeded: no in-flight counter is needed on the
/// producers' path, and no record is accepted after the final drain.
/// </summary>
internal sealed class IngestQueue
{
    public const int Enqueued = 1;
    public const int Full = 0;
    public const int Closed = -1;

    private const long ClosedBit = 1L << 62;

    private readonly Slot[] _slots;
    private readonly long _mask;
    private PaddedLong _enqueuePosition;
    private PaddedLong _dequeuePosition;

    public IngestQueue(int capacity)
    {
        var size = (int)Math.Max(2, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity));
        _slots = new Slot[size];
        _mask = size - 1;
        for (var i = 0; i < size; i++)
        {
            _slots[i].Sequence = i;
        }
    }

    public int Capacity => _slots.Length;

    /// <summary>Gets an estimate of the items waiting (exact when no producer is mid-enqueue).</summary>
    public int Count => (int)Math.Max(0, EnqueuePosition - Volatile.Read(ref _dequeuePosition.Value));

    /// <summary>Gets the number of enqueue positions taken so far (published or about to be).</summary>
    public long EnqueuePosition => Volatile.Read(ref _enqueuePosition.Value) & ~ClosedBit;

    /// <summary>Gets the number of items dequeued so far.</summary>
    public long DequeuePosition => Volatile.Read(ref _dequeuePosition.Value);

    /// <summary>Makes every later <see cref="TryEnqueue"/> return <see cref="Closed"/>.</summary>
    public void Close() => Interlocked.Or(ref _enqueuePosition.Value, ClosedBit);

    /// <summary>Tries to enqueue; returns <see cref="Enqueued"/>, <see cref="Full"/> or <see cref="Closed"/>.</summary>
    public int TryEnqueue(in IngestItem item, out long position)
    {
        position = Volatile.Read(ref _enqueuePosition.Value);
        while (true)
        {
            if ((position & ClosedBit) != 0)
            {
                return Closed;
            }

            ref var slot = ref _slots[position & _mask];
            var sequence = Volatile.Read(ref slot.Sequence);
            var difference = sequence - position;
            if (difference == 0)
            {
                var observed = Interlocked.CompareExchange(ref _enqueuePosition.Value, position + 1, position);
                if (observed == position)
                {
                    slot.Item = item;
                    Volatile.Write(ref slot.Sequence, position + 1);
                    return Enqueued;
                }

                position = observed;
            }
            else if (difference < 0)
            {
                return Full;
            }
            else
            {
                position = Volatile.Read(ref _enqueuePosition.Value);
            }
        }
    }

    /// <summary>Dequeues one item. Callers must not dequeue concurrently.</summary>
    public bool TryDequeue(out IngestItem item)
    {
        var position = _dequeuePosition.Value;
        ref var slot = ref _slots[position & _mask];
        if (Volatile.Read(ref slot.Sequence) != position + 1)
        {
            item = default;
            return false;
        }

        item = slot.Item;
        slot.Item = default;
        Volatile.Write(ref _dequeuePosition.Value, position + 1);
        Volatile.Write(ref slot.Sequence, position + _mask + 1);
        return true;
    }

    /// <summary>
    /// Dequeues one item if fewer than <paramref name="target"/> were dequeued so far, waiting (spinning) for a producer
    /// that has taken a position but not yet published its item. Callers must not dequeue concurrently.
    /// </summary>
    public bool TryDequeueUpTo(long target, out IngestItem item)
    {
        if (_dequeuePosition.Value >= target)
        {
            item = default;
            return false;
        }

        var spin = default(SpinWait);
        while (!TryDequeue(out item))
        {
            spin.SpinOnce();
        }

        return true;
    }

    private struct Slot
    {
        public long Sequence;
        public IngestItem Item;
    }

    // Keeps the producers' and the consumer's positions on separate cache lines.
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedLong
    {
        [FieldOffset(64)]
        public long Value;
    }
}
