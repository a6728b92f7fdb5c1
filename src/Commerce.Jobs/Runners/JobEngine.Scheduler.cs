using Commerce.Jobs.Diagnostics;

namespace Commerce.Jobs.Runners;

/// <summary>The engine's side of the scheduler (<see cref="JobScheduler"/>): a due fire is claimed, then triggered.</summary>
internal sealed partial class JobEngine
{
    /// <summary>A timed fire runs once across every host sharing the store: the host that claims the occurrence triggers it.</summary>
    private void Fire(JobEntry entry, TriggerKind trigger, DateTimeOffset scheduledTime)
    {
        if (entry.IsDisabled)
        {
            return;
        }

        ValueTask<bool> claim;
        try
        {
            claim = _schedule.TryClaimOccurrenceAsync(entry.Name, scheduledTime, _identity.Owner, CancellationToken.None);
        }
        catch (Exception ex)
        {
            Log.OccurrenceClaimFailed(_logger, entry.Name, scheduledTime, ex);
            return;
        }

        if (claim.IsCompletedSuccessfully)
        {
            if (claim.Result)
            {
                Trigger(entry, trigger);
            }
        }
        else
        {
            _ = AwaitClaimAsync(claim, entry, trigger, scheduledTime);
        }
    }

    private async Task AwaitClaimAsync(ValueTask<bool> claim, JobEntry entry, TriggerKind trigger, DateTimeOffset scheduledTime)
    {
        try
        {
            if (await claim.ConfigureAwait(false))
            {
                Trigger(entry, trigger);
            }
        }
        catch (Exception ex)
        {
            Log.OccurrenceClaimFailed(_logger, entry.Name, scheduledTime, ex);
        }
    }
}
