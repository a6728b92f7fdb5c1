namespace Commerce.Jobs.Benchmarks.Infrastructure;

/// <summary>
/// A record source over a pre-built array: one enumerator per run and no allocation or lock per record, so the
/// source does not dominate a throughput measurement. Every read returns every record.
/// </summary>
internal sealed class ArrayRecordSource<T>(T[] records) : IRecordSource<T>
{
    public IAsyncEnumerable<T> ReadAsync(RecordQuery query, CancellationToken cancellationToken) => new Reader(records, cancellationToken);

    private sealed class Reader(T[] records, CancellationToken readToken) : IAsyncEnumerable<T>, IAsyncEnumerator<T>
    {
        private CancellationToken _token = readToken;
        private int _index = -1;

        public T Current => records[_index];

        public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            if (cancellationToken.CanBeCanceled)
            {
                _token = cancellationToken;
            }

            return this;
        }

        public ValueTask<bool> MoveNextAsync()
        {
            var next = ++_index;
            if ((next & 1023) == 0)
            {
                _token.ThrowIfCancellationRequested();
            }

            return new ValueTask<bool>(next < records.Length);
        }

        public ValueTask DisposeAsync() => default;
    }
}
