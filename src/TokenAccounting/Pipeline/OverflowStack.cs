namespace TokenAccounting;

/// <summary>
/// Where <c>Record()</c> puts a record when the ingest queue is full: a lock-free stack (one compare-and-swap per
/// push) that only the aggregator empties, so a producer never waits for the aggregator, which stays the sole owner of
/// aggregation state. The aggregator rolls these records up exactly and drops (and counts) their details.
/// </summary>
internal sealed class OverflowStack
{
    private static readonly Node ClosedMarker = new(default, null);

    private Node? _head;
    private long _count;

    /// <summary>Gets the number of records pushed and not yet taken.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Pushes; returns false once the stack is closed (the recorder is being disposed).</summary>
    public bool TryPush(in IngestItem item)
    {
        var node = new Node(item, null);
        var head = Volatile.Read(ref _head);
        while (true)
        {
            if (ReferenceEquals(head, ClosedMarker))
            {
                return false;
            }

            node.Next = head;
            var observed = Interlocked.CompareExchange(ref _head, node, head);
            if (ReferenceEquals(observed, head))
            {
                Interlocked.Increment(ref _count);
                return true;
            }

            head = observed;
        }
    }

    /// <summary>Takes everything pushed so far, oldest first; with <paramref name="close"/>, later pushes fail.</summary>
    public List<IngestItem>? TakeAll(bool close)
    {
        Node? head;
        if (close)
        {
            head = Interlocked.Exchange(ref _head, ClosedMarker);
        }
        else
        {
            head = Volatile.Read(ref _head);
            while (head is not null && !ReferenceEquals(head, ClosedMarker))
            {
                var observed = Interlocked.CompareExchange(ref _head, null, head);
                if (ReferenceEquals(observed, head))
                {
                    break;
                }

                head = observed;
            }
        }

        if (head is null || ReferenceEquals(head, ClosedMarker))
        {
            return null;
        }

        var items = new List<IngestItem>();
        for (var node = head; node is not null; node = node.Next)
        {
            items.Add(node.Item);
        }

        items.Reverse();
        return items;
    }

    /// <summary>Marks taken items as processed (the count backs the diagnostics' accepted total).</summary>
    public void Processed(int count) => Interlocked.Add(ref _count, -count);

    private sealed class Node(IngestItem item, Node? next)
    {
        public IngestItem Item { get; } = item;

        public Node? Next { get; set; } = next;
    }
}
