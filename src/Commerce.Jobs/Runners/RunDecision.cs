namespace Commerce.Jobs.Runners;

/// <summary>What a job decided about a run asked of it, for the engine to act on.</summary>
internal enum RunDecision
{
    /// <summary>Dropped: the job is disabled, or the engine is stopping.</summary>
    Refused,

    /// <summary>Held: coalesced into the pending follow-up, or waiting its turn; taken later with <see cref="JobEntry.TryTakeNext"/>.</summary>
    Held,

    /// <summary>In flight now: the engine hands it to the workers.</summary>
    Start,
}
