namespace Commerce.Jobs.Adapters;

/// <summary>
/// The built-in "Cleanup Export Files" job: removes from a folder the files a file export target wrote (by their name
/// pattern, temporary files of interrupted exports included) whose last write is older than the retention. Other files stay.
/// </summary>
internal sealed class ExportCleanupJob : IIntegrationJob
{
    private readonly string _folder;
    private readonly TimeSpan _retention;

    public ExportCleanupJob(string folder, TimeSpan retention)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(retention, TimeSpan.Zero);
        _folder = Path.GetFullPath(folder);
        _retention = retention;
    }

    public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!Directory.Exists(_folder))
        {
            context.Log(JobLogLevel.Warning, $"Export folder '{_folder}' does not exist: nothing to clean up.");
            return ValueTask.FromResult(JobResult.Success);
        }

        var cutoff = (context.TimeProvider.GetUtcNow() - _retention).UtcDateTime;
        int removed = 0, kept = 0;
        var errors = new List<string>();
        foreach (var path in Directory.GetFiles(_folder))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!ExportFileNames.IsExportFile(Path.GetFileName(path)))
            {
                continue;
            }

            try
            {
                if (File.GetLastWriteTimeUtc(path) >= cutoff)
                {
                    kept++;
                    continue;
                }

                File.Delete(path);
                removed++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                errors.Add($"{Path.GetFileName(path)}: {ex.Message}");
            }
        }

        context.Log(JobLogLevel.Information, $"Removed {removed} export files last written before {cutoff:u} from '{_folder}'; kept {kept}.");
        // Counts in the run history: files looked at (read), removed (delivered), could not be removed (failed).
        var counts = new RecordCounts(removed + kept + errors.Count, removed, 0, errors.Count);
        if (errors.Count == 0)
        {
            return ValueTask.FromResult(JobResult.Create(JobOutcome.Succeeded, null, null, counts));
        }

        foreach (var error in errors)
        {
            context.Log(JobLogLevel.Warning, $"Could not remove {error}");
        }

        return ValueTask.FromResult(JobResult.Create(JobOutcome.PartiallySucceeded, $"{errors.Count} export files in '{_folder}' could not be removed; first: {errors[0]}", null, counts));
    }
}
