using System.Threading.Channels;

namespace Commerce.Jobs;

/// <summary>
/// One write waiting in a <see cref="GroupWriter{TWrite}"/>: its task completes once it is committed (with
/// <see cref="Result"/>, which the commit may set), or fails with the error of its commit.
/// </summary>
internal abstract class GroupedWrite
{
    private readonly TaskCompletionSource<int> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Gets a value indicating whether the write is committed alone, after the other writes of its group, so that its
    /// failure (a slow or contended write, such as a history purge) fails no other write.
    /// </summary>
    public virtual bool CommitsAlone => false;

    /// <summary>Gets the task that completes when the write is committed, with <see cref="Result"/>.</summary>
    public Task<int> Task => _done.Task;

    /// <summary>Gets or sets what the write's caller is answered (rows removed by a purge), set by the commit.</summary>
    public int Result { get; set; }

    internal void Complete() => _done.TrySetResult(Result);

    internal void Fail(Exception exception) => _done.TrySetException(exception);
}

/// <summary>
/// Commits concurrent writes in groups (group commit): one writer takes every write waiting at that moment (up to a group
/// size), commits them in one transaction (one sync to disk for all), then answers each caller. Shared by the SQLite and
/// PostgreSQL stores for run history (linked into each; adapters do not depend on each other).
/// </summary>
/// <remarks>
/// A caller is answered only after its write is committed. A write that <see cref="GroupedWrite.CommitsAlone"/> is
/// committed on its own after the rest of its group. When a commit of several writes fails, each of them is committed
/// again alone once, so one write that cannot be committed fails only itself (and a passing error is retried once); a
/// write is failed with the error of its last commit. When two of them in a row fail alone too, the store is failing (not
/// one write) and the rest of them fail with that error without waiting out a commit each. The queue is bounded: when it is full a caller waits for room, nothing is dropped. Disposing stops
/// taking writes, commits those already queued within the drain timeout, and fails the ones still queued after it with
/// <see cref="ObjectDisposedException"/>.
/// </remarks>
internal sealed class GroupWriter<TWrite> : IAsyncDisposable
    where TWrite : GroupedWrite
{
    /// <summary>The default number of writes that may wait; more callers wait for room.</summary>
    public const int DefaultCapacity = 4096;

    /// <summary>The default largest group committed in one transaction.</summary>
    public const int DefaultMaxGroup = 512;

    /// <summary>The default time disposing waits for queued writes to be committed.</summary>
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(10);

    private readonly Channel<TWrite> _queue;
    private readonly Func<IReadOnlyList<TWrite>, ValueTask> _commit;
    private readonly int _maxGroup;
    private readonly TimeSpan _drainTimeout;
    private readonly TimeProvider _time;
    private readonly string _owner;
    private readonly Task _writer;
    private long _groups;

    /// <summary>Starts the writer.</summary>
    /// <param name="owner">Who owns the writer (named in <see cref="ObjectDisposedException"/>).</param>
    /// <param name="commit">Commits the writes given in one transaction, or throws (then none of them is stored).</param>
    /// <param name="capacity">How many writes may wait.</param>
    /// <param name="maxGroup">The largest group.</param>
    /// <param name="drainTimeout">How long disposing waits for the queued writes.</param>
    /// <param name="time">The clock of the drain timeout.</param>
    public GroupWriter(string owner, Func<IReadOnlyList<TWrite>, ValueTask> commit, int capacity = DefaultCapacity, int maxGroup = DefaultMaxGroup, TimeSpan? drainTimeout = null, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxGroup, 1);
        _owner = owner;
        _commit = commit;
        _maxGroup = maxGroup;
        _drainTimeout = drainTimeout ?? DefaultDrainTimeout;
        _time = time ?? TimeProvider.System;

        // Several readers: the writer, and a dispose that fails what is left after the drain timeout.
        _queue = Channel.CreateBounded<TWrite>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
        _writer = System.Threading.Tasks.Task.Run(WriteLoopAsync);
    }

    /// <summary>Gets how many groups were taken from the queue and answered so far.</summary>
    public long Groups => Interlocked.Read(ref _groups);

    /// <summary>Queues a write; waits for room when the queue is full.</summary>
    /// <param name="write">The write.</param>
    /// <param name="cancellationToken">Cancels the wait for room; never a write already queued.</param>
    /// <returns>The write's task: completes once it is committed.</returns>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    public Task<int> WriteAsync(TWrite write, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return _queue.Writer.TryWrite(write) ? write.Task : WaitForRoomAsync(write, cancellationToken);
    }

    /// <summary>Stops taking writes, commits the queued ones within the drain timeout, and fails those still queued after it.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _writer.WaitAsync(_drainTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var disposed = new ObjectDisposedException(_owner, $"The {_owner} was closed before this run was committed to its history (it did not drain within {_drainTimeout.TotalSeconds} s).");
            while (_queue.Reader.TryRead(out var write))
            {
                write.Fail(disposed);
            }
        }
    }

    private async Task<int> WaitForRoomAsync(TWrite write, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(write, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(_owner);
        }

        return await write.Task.ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var group = new List<TWrite>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (group.Count < _maxGroup && reader.TryRead(out var write))
            {
                group.Add(write);
            }

            if (group.Count == 0)
            {
                continue;
            }

            var together = group.FindAll(w => !w.CommitsAlone);
            if (together.Count > 0)
            {
                await CommitAsync(together).ConfigureAwait(false);
            }

            foreach (var write in group)
            {
                if (write.CommitsAlone)
                {
                    await CommitAsync([write]).ConfigureAwait(false);
                }
            }

            Interlocked.Increment(ref _groups);
            group.Clear();
        }
    }

    /// <summary>Commits the writes in one transaction and answers them; when that fails, commits each of several alone once.</summary>
    /// <param name="writes">The writes, in the order they were queued.</param>
    private async ValueTask CommitAsync(List<TWrite> writes)
    {
        var failure = await TryCommitAsync(writes).ConfigureAwait(false);
        if (failure is null)
        {
            foreach (var write in writes)
            {
                write.Complete();
            }

            return;
        }

        if (writes.Count == 1)
        {
            writes[0].Fail(failure);
            return;
        }

        // Each alone once: a write that cannot be committed fails only itself. Two failing alone in a row mean the store fails,
        // not a write (a lock held, the server down): the rest fail with that error rather than each wait out its own commit.
        var failedBefore = false;
        for (var i = 0; i < writes.Count; i++)
        {
            failure = await TryCommitAsync([writes[i]]).ConfigureAwait(false);
            if (failure is null)
            {
                writes[i].Complete();
                failedBefore = false;
                continue;
            }

            writes[i].Fail(failure);
            if (failedBefore)
            {
                for (var rest = i + 1; rest < writes.Count; rest++)
                {
                    writes[rest].Fail(failure);
                }

                return;
            }

            failedBefore = true;
        }
    }

    private async ValueTask<Exception?> TryCommitAsync(List<TWrite> writes)
    {
        try
        {
            await _commit(writes).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}
