namespace Commerce.Jobs.EntitySync;

/// <summary>
/// The store writes in flight under one configuration: the publishes on one set of an entity type's lanes, or one lane's
/// own writes (completions, full-sync pages and progress). A configuration change that removes the type, or some of its
/// targets, puts the new configuration in place, closes the fences of the old one and waits until the writes that
/// entered them are done: only then does it clear what the store holds, so nothing written under the old configuration
/// reaches the store after the clear.
/// </summary>
/// <remarks>
/// Entering and leaving cost one interlocked operation each (no lock, no store read). A publish that finds the fence
/// closed reads the configuration again: the change that closed it has put the new one in place before.
/// </remarks>
internal sealed class EntitySyncPublishFence
{
    private const int ClosedBit = int.MinValue;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;  // the publishes inside, with the sign bit set once closed

    /// <summary>Gets a value indicating whether a configuration change closed the fence.</summary>
    public bool IsClosed => Volatile.Read(ref _state) < 0;

    /// <summary>Enters a publish, unless the fence is closed.</summary>
    /// <returns>Whether the publish entered (then it calls <see cref="Exit"/> when done).</returns>
    public bool TryEnter()
    {
        var state = Volatile.Read(ref _state);
        while (state >= 0)
        {
            var seen = Interlocked.CompareExchange(ref _state, state + 1, state);
            if (seen == state)
            {
                return true;
            }

            state = seen;
        }

        return false;
    }

    /// <summary>Leaves a publish that entered.</summary>
    public void Exit()
    {
        if (Interlocked.Decrement(ref _state) == ClosedBit)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>Runs a write inside the fence; once the fence is closed it is not run.</summary>
    /// <returns>Whether the write ran.</returns>
    public async ValueTask<bool> TryWriteAsync(Func<ValueTask> write)
    {
        if (!TryEnter())
        {
            return false;
        }

        try
        {
            await write().ConfigureAwait(false);
            return true;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Closes the fence: no publish enters any more.</summary>
    /// <returns>A task that completes when no publish is inside.</returns>
    public Task CloseAsync()
    {
        if ((Interlocked.Or(ref _state, ClosedBit) & ~ClosedBit) == 0)
        {
            _drained.TrySetResult();
        }

        return _drained.Task;
    }
}
