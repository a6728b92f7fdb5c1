namespace Commerce.Jobs;

/// <summary>
/// Reads and changes a job's definition at run time — its schedule, batch, retry window, skip, status, notification,
/// history and concurrency settings (<see cref="JobDefinitionFields"/>) — without a restart.
/// </summary>
/// <remarks>
/// <para>
/// <b>One precedence rule, per field:</b> a run-time override wins over configuration (<c>CommerceJobs:Jobs:{job name}</c>),
/// which wins over what the code declared. <see cref="Get"/> shows each field's value and where it came from.
/// </para>
/// <para>
/// A change is validated like start-up (the same messages, naming the job and the setting), kept in the store's operator
/// state (<see cref="Storage.OperatorStateKinds.JobDefinition"/>), applied at once on this host, and taken up by every host
/// on the same store within <c>CommerceJobsOptions.ControlRefreshInterval</c>; the newest change wins per field. A run in
/// progress keeps the settings it started with; the next run uses the new ones. A changed schedule plans the next fire at
/// once: a changed interval counts from the moment of the change, a changed daily time applies today if it has not passed.
/// </para>
/// <para>
/// Values are text, written as in configuration: whole numbers (<c>500</c>), <c>true</c> / <c>false</c>, time spans
/// as <c>[d.]hh:mm:ss</c> (<c>00:01:00</c>), daily times as <c>HH:mm</c>; an empty text sets an optional setting
/// (<c>Interval</c>, <c>MaxAge</c>, <c>DailyAt</c>, <c>Cron</c>, <c>TimeZone</c>) to none.
/// </para>
/// <para>
/// A delivery target's health settings (<see cref="TargetDefinitionFields"/>, configuration <c>CommerceJobs:Targets:{target name}</c>)
/// change the same way, through <see cref="GetTarget"/>, <see cref="UpdateTargetAsync"/> and <see cref="ResetTargetAsync"/>
/// (operator-state kind <see cref="Storage.OperatorStateKinds.TargetDefinition"/>): the target's health monitor uses them
/// from its next decision, and a target that is unhealthy now stays paused until its break ends.
/// </para>
/// </remarks>
public interface IJobDefinitions
{
    /// <summary>Gets a job's effective definition: each field's value and its source, with the version to update it against.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <returns>The effective definition.</returns>
    /// <exception cref="ArgumentException">No job of that name is registered.</exception>
    EffectiveJobDefinition Get(string jobName);

    /// <summary>
    /// Changes the fields given and leaves the others as they are: a field with a value is overridden; a field given as
    /// <see langword="null"/> is reset to its declared value (configuration, else code).
    /// </summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="fields">The fields to change, by name (<see cref="JobDefinitionFields"/>), with their values as text.</param>
    /// <param name="expectedVersion">
    /// The <see cref="EffectiveJobDefinition.Version"/> the change was made against; <see langword="null"/> to change whatever the definition is now.
    /// </param>
    /// <param name="actor">Who makes the change (a user name), kept with it; <see langword="null"/> when unknown.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The definition in force after the change.</returns>
    /// <exception cref="ArgumentException">No job of that name is registered.</exception>
    /// <exception cref="JobDefinitionValidationException">A field is unknown, or a value is invalid; nothing was changed.</exception>
    /// <exception cref="JobDefinitionConflictException">The definition is no longer at <paramref name="expectedVersion"/>; nothing was changed.</exception>
    ValueTask<EffectiveJobDefinition> UpdateAsync(string jobName, IReadOnlyDictionary<string, string?> fields, string? expectedVersion, string? actor, CancellationToken cancellationToken);

    /// <summary>Resets every field of a job to its declared value (configuration, else code).</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="expectedVersion">The version the reset was asked against; <see langword="null"/> to reset whatever the definition is now.</param>
    /// <param name="actor">Who resets it, kept with the change; <see langword="null"/> when unknown.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The definition in force after the reset.</returns>
    /// <exception cref="ArgumentException">No job of that name is registered.</exception>
    /// <exception cref="JobDefinitionConflictException">The definition is no longer at <paramref name="expectedVersion"/>; nothing was changed.</exception>
    ValueTask<EffectiveJobDefinition> ResetAsync(string jobName, string? expectedVersion, string? actor, CancellationToken cancellationToken);

    /// <summary>Gets a delivery target's effective health settings: each field's value and its source, with the version to update it against.</summary>
    /// <param name="targetName">The target's name (a named target's, or the name a job's own target is known by).</param>
    /// <returns>The effective definition; its <see cref="EffectiveJobDefinition.JobName"/> is the target's name.</returns>
    /// <exception cref="ArgumentException">No target of that name is declared.</exception>
    EffectiveJobDefinition GetTarget(string targetName);

    /// <summary>
    /// Changes the health settings given and leaves the others as they are: a field with a value is overridden; a field
    /// given as <see langword="null"/> is reset to its declared value (configuration, else code). All or nothing.
    /// </summary>
    /// <param name="targetName">The target's name.</param>
    /// <param name="fields">The fields to change, by name (<see cref="TargetDefinitionFields"/>), with their values as text.</param>
    /// <param name="expectedVersion">The <see cref="EffectiveJobDefinition.Version"/> the change was made against; <see langword="null"/> to change whatever the definition is now.</param>
    /// <param name="actor">Who makes the change (a user name), kept with it; <see langword="null"/> when unknown.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The definition in force after the change.</returns>
    /// <exception cref="ArgumentException">No target of that name is declared.</exception>
    /// <exception cref="JobDefinitionValidationException">A field is unknown, or a value is invalid (the messages name the target and the setting); nothing was changed.</exception>
    /// <exception cref="JobDefinitionConflictException">The definition is no longer at <paramref name="expectedVersion"/>; nothing was changed.</exception>
    ValueTask<EffectiveJobDefinition> UpdateTargetAsync(string targetName, IReadOnlyDictionary<string, string?> fields, string? expectedVersion, string? actor, CancellationToken cancellationToken);

    /// <summary>Resets every health setting of a delivery target to its declared value (configuration, else code).</summary>
    /// <param name="targetName">The target's name.</param>
    /// <param name="expectedVersion">The version the reset was asked against; <see langword="null"/> to reset whatever the definition is now.</param>
    /// <param name="actor">Who resets it, kept with the change; <see langword="null"/> when unknown.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The definition in force after the reset.</returns>
    /// <exception cref="ArgumentException">No target of that name is declared.</exception>
    /// <exception cref="JobDefinitionConflictException">The definition is no longer at <paramref name="expectedVersion"/>; nothing was changed.</exception>
    ValueTask<EffectiveJobDefinition> ResetTargetAsync(string targetName, string? expectedVersion, string? actor, CancellationToken cancellationToken);
}
