namespace TokenAccounting;

/// <summary>
/// Where <c>Record()</c> puts a record when the ingest queue is full: an unbounded, lock-free multi-producer buffer
/// that only the aggregator empties, oldest first, so a producer never waits for the aggregator, which stays the sole
/// owner of aggregation state. The aggregator rolls these records up exactly and drops (and counts) their details.
/// </summary>
/// <remarks>
/// <para>
/// The items live in fixed-size segments of <see cref="IngestItem"/> structs (48 KB each, below the large object
/// heap's threshold), linked in order. A producer reserves a slot in the last segment with one atomic increment and
/// publishes its item into it; a full segment is followed by the next, which the aggregator links ahead of time from
/// its pool of emptied segments (a producer allocates one only when none is linked). So a burst allocates nothing per
/// record, and a segment emptied by the aggregator is reused, not collected.
/// </para>
/// <para>
/// Producers are counted while they push. An emptied segment is reused only once the aggregator has seen no producer
/// inside a push after it retired it, so no producer can still be writing into it (one that read it before the
/// retirement was inside then). <see cref="Close"/> (at disposal) makes every later push fail and waits for the pushes
/// in flight, so the final drain takes exactly the items whose push succeeded.
/// </para>
/// </remarks>
internal sealed class OverflowBuffer
{
    /// <summary>Items per segment: 1,024 slots of 48 bytes, 48 KB, under the 85,000-byte large object threshold.</summary>
    public const int SegmentSize = 1024;

    /// <summary>Emptied segments kept for reuse beyond the linked spares (about 0.75 MB at most).</summary>
    private const int MaxPooled = 16;

    private readonly Stack<Segment> _pool = new();
    private readonly List<Segment> _retired = [];
    private Segment _head;
    private Segment _tail;
    private int _headIndex;
    private int _pushers;
    private int _closed;
    private long _count;
    private long _segmentsAllocated;

    public OverflowBuffer()
    {
        _head = _tail = new Segment();
        _segmentsAllocated = 1;
    }

    /// <summary>Gets the number of records pushed and not yet processed (see <see cref="Processed"/>).</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Gets how many segments were ever allocated (tests: a burst reuses them).</summary>
    public long SegmentsAllocated => Interlocked.Read(ref _segmentsAllocated);

    /// <summary>Pushes; returns false once the buffer is closed (the recorder is being disposed). Lock-free, never waits.</summary>
    public bool TryPush(in IngestItem item)
    {
        // Counted before the closed flag is read: Close sets the flag, then waits for the count to fall to zero.
        Interlocked.Increment(ref _pushers);
        try
        {
            if (Volatile.Read(ref _closed) != 0)
            {
                return false;
            }

            while (true)
            {
                var tail = Volatile.Read(ref _tail);
                var index = Interlocked.Increment(ref tail.Reserved) - 1;
                if (index < SegmentSize)
                {
                    // Counted before it is published, so the aggregator never processes an item the count lacks.
                    Interlocked.Increment(ref _count);
                    ref var slot = ref tail.Slots[index];
                    slot.Item = item;
                    Volatile.Write(ref slot.Published, 1);
                    return true;
                }

                // Full: move on to the next segment, linking a new one if the aggregator has not linked a spare.
                var next = Volatile.Read(ref tail.Next);
                if (next is null)
                {
                    var fresh = new Segment();
                    next = Interlocked.CompareExchange(ref tail.Next, fresh, null) ?? fresh;
                    if (ReferenceEquals(next, fresh))
                    {
                        Interlocked.Increment(ref _segmentsAllocated);
                    }
                }

                Interlocked.CompareExchange(ref _tail, next, tail);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _pushers);
        }
    }

    /// <summary>
    /// Aggregator only: makes every later <see cref="TryPush"/> fail and waits for the pushes in flight, so that
    /// <see cref="Take"/> then returns everything that was pushed.
    /// </summary>
    public void Close()
    {
        Interlocked.Exchange(ref _closed, 1);
        var spin = default(SpinWait);
        while (Volatile.Read(ref _pushers) != 0)
        {
            spin.SpinOnce();
        }
    }

    /// <summary>
    /// Aggregator only: moves up to <paramref name="destination"/>'s length of the oldest published items into it and
    /// returns how many. Stops at an item still being published (a producer between its reservation and its write):
    /// it is taken by a later call.
    /// </summary>
    public int Take(Span<IngestItem> destination)
    {
        var taken = 0;
        while (taken < destination.Length)
        {
            if (_headIndex == SegmentSize)
            {
                var next = Volatile.Read(ref _head.Next);
                if (next is null)
                {
                    break;
                }

                Retire(_head, next);
                _head = next;
                _headIndex = 0;
                continue;
            }

            ref var slot = ref _head.Slots[_headIndex];
            if (Volatile.Read(ref slot.Published) == 0)
            {
                break;
            }

            destination[taken++] = slot.Item;
            slot.Item = default;
            slot.Published = 0;
            _headIndex++;
        }

        Recycle();
        return taken;
    }

    /// <summary>Marks taken items as processed (the count backs the diagnostics' accepted total).</summary>
    public void Processed(int count) => Interlocked.Add(ref _count, -count);

    private void Retire(Segment segment, Segment next)
    {
        // A segment producers may still reach through the tail is first stepped past (it is full: every slot was taken).
        Interlocked.CompareExchange(ref _tail, next, segment);
        _retired.Add(segment);
    }

    private void Recycle()
    {
        if (_retired.Count > 0 && Volatile.Read(ref _pushers) == 0)
        {
            // No producer is inside a push now, so none holds a segment retired before this read: they are free.
            foreach (var segment in _retired)
            {
                if (_pool.Count < MaxPooled)
                {
                    segment.Reserved = 0;
                    segment.Next = null;
                    _pool.Push(segment);
                }
            }

            _retired.Clear();
        }

        if (_pool.Count == 0 || Volatile.Read(ref _closed) != 0)
        {
            return;
        }

        // Link the spares after the last segment, so producers that fill it move on without allocating.
        var last = Volatile.Read(ref _tail);
        while (Volatile.Read(ref last.Next) is { } next)
        {
            last = next;
        }

        while (_pool.Count > 0)
        {
            var spare = _pool.Peek();
            if (Interlocked.CompareExchange(ref last.Next, spare, null) is { } linked)
            {
                // A producer linked one first: link after it.
                last = linked;
                continue;
            }

            _pool.Pop();
            last = spare;
        }
    }

    private struct Slot
    {
        public IngestItem Item;
        public int Published;
    }

    private sealed class Segment
    {
        public readonly Slot[] Slots = new Slot[SegmentSize];
        public Segment? Next;
        public long Reserved;
    }
}
