namespace Commerce.Jobs.Storage;

/// <summary>The kinds of operator-state entries the library writes (<see cref="IOperatorStateStore"/>).</summary>
public static class OperatorStateKinds
{
    /// <summary>A job's controls, named by the job: fields <c>paused</c> and <c>disabled</c> (<c>true</c> or <c>false</c>).</summary>
    public const string Job = "job";

    /// <summary>
    /// An entity type's synchronization changed at run time, named by the entity type: fields <c>enabled</c>,
    /// <c>paused</c>, <c>incremental-sync</c>, <c>deleted</c> (<c>true</c> or <c>false</c>) and <c>targets</c> (a JSON
    /// array of target names). A field never written is as declared in code.
    /// </summary>
    public const string EntitySync = "entity-sync";
}
