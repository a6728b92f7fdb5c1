namespace Commerce.Jobs.Storage;

/// <summary>The kinds of operator-state entries the library writes (<see cref="IOperatorStateStore"/>).</summary>
public static class OperatorStateKinds
{
    /// <summary>A job's controls, named by the job: fields <c>paused</c> and <c>disabled</c> (<c>true</c> or <c>false</c>).</summary>
    public const string Job = "job";

    /// <summary>
    /// An entity type's synchronization changed at run time, named by the entity type: fields <c>enabled</c>,
    /// <c>paused</c>, <c>incremental-sync</c>, <c>deleted</c> (<c>true</c> or <c>false</c>), <c>targets</c> (a JSON
    /// array of target names), and the delivery settings <c>batch-size</c>, <c>max-items-to-skip</c>, <c>max-retries</c>
    /// (whole numbers), <c>retry-window</c> and <c>retry-skipped-after</c> (time spans, <c>[d.]hh:mm:ss[.fffffff]</c>), a
    /// <see langword="null"/> value meaning as declared. A field never written is as declared in code and configuration.
    /// </summary>
    public const string EntitySync = "entity-sync";

    /// <summary>
    /// A job's definition changed at run time (<see cref="IJobDefinitions"/>), named by the job: one field per setting,
    /// named as in <see cref="JobDefinitionFields"/>, its value as text (a <see langword="null"/> value resets the setting to
    /// its declared value), and <c>changed-by</c> (who made the newest change). A field never written is as declared.
    /// </summary>
    public const string JobDefinition = "job-definition";

    /// <summary>
    /// A delivery target's health settings changed at run time (<see cref="IJobDefinitions.UpdateTargetAsync"/>), named by
    /// the target: one field per setting, named as in <see cref="TargetDefinitionFields"/>, its value as text (a
    /// <see langword="null"/> value resets the setting to its declared value), and <c>changed-by</c> (who made the newest
    /// change). A field never written is as declared.
    /// </summary>
    public const string TargetDefinition = "target-definition";

    /// <summary>
    /// A failure notifier's throttle, named by what it notifies about (<c>job:{job name}</c>, <c>target:{target name}</c>)
    /// and prefixed with the notifier (<c>email/</c>): fields <c>last-sent</c> and <c>suppressed-since</c> (round-trip
    /// UTC times), <c>suppressed</c> (a count) and <c>failing</c> (<c>true</c> or <c>false</c>). Written by notifiers,
    /// never by an operator; shared by the hosts of one store, so the throttle holds cluster-wide.
    /// </summary>
    public const string NotificationThrottle = "notification-throttle";
}
