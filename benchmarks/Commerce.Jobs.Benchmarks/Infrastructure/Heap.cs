namespace Commerce.Jobs.Benchmarks.Infrastructure;

/// <summary>The live managed heap, after full compacting collections (for heap-per-job figures).</summary>
internal static class Heap
{
    public static long LiveBytes()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
