namespace Commerce.Jobs.History;

/// <summary>The in-memory store's job controls: one entry per job, the last written.</summary>
internal sealed partial class InMemoryJobStore
{
    private readonly Dictionary<string, JobControl> _controls = new(StringComparer.OrdinalIgnoreCase);

    public ValueTask<IReadOnlyList<JobControl>> GetJobControlsAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<JobControl>>([.. _controls.Values]);
        }
    }

    public ValueTask SetJobControlAsync(JobControl control, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(control);
        lock (_gate)
        {
            _controls[control.JobName] = control;
        }

        return ValueTask.CompletedTask;
    }
}
