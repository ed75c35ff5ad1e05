using System.Collections;

namespace TokenAccounting.Extensions.AI.Tests.Fakes;

/// <summary>
/// A request collection whose first enumeration throws (its count and copy work): the middleware's size measurement
/// for the gate is the first to enumerate, so it fails, while the inner service (which copies) still sees the items.
/// </summary>
internal sealed class UnmeasurableOnce<T>(params T[] items) : ICollection<T>
{
    private readonly List<T> _items = [.. items];
    private bool _enumerated;

    public int Count => _items.Count;

    public bool IsReadOnly => true;

    public IEnumerator<T> GetEnumerator()
    {
        if (!_enumerated)
        {
            _enumerated = true;
            throw new InvalidOperationException("the request cannot be measured");
        }

        return _items.GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void CopyTo(T[] array, int arrayIndex) => _items.CopyTo(array, arrayIndex);

    public bool Contains(T item) => _items.Contains(item);

    public void Add(T item) => throw new NotSupportedException();

    public void Clear() => throw new NotSupportedException();

    public bool Remove(T item) => throw new NotSupportedException();
}
