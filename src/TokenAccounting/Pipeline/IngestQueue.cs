using System.Runtime.InteropServices;

namespace TokenAccounting;

/// <summary>
/// A bounded multi-producer queue (Vyukov's array queue) between <c>Record()</c> and the aggregator. Producers
/// never wait: <see cref="TryEnqueue"/> fails when the queue is full. Dequeueing must be serialized by the caller
/// (the recorder holds its aggregation lock).
/// </summary>
internal sealed class IngestQueue
{
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
    public int Count => (int)Math.Max(0, Volatile.Read(ref _enqueuePosition.Value) - Volatile.Read(ref _dequeuePosition.Value));

    public bool TryEnqueue(in IngestItem item, out long position)
    {
        position = Volatile.Read(ref _enqueuePosition.Value);
        while (true)
        {
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
                    return true;
                }

                position = observed;
            }
            else if (difference < 0)
            {
                return false;
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
