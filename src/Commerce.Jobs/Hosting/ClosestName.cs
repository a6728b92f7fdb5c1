namespace Commerce.Jobs;

/// <summary>Finds the registered name a mistyped one was probably meant to be, for start-up messages.</summary>
internal static class ClosestName
{
    /// <summary>Returns " (did you mean 'x'?)" for the closest of <paramref name="candidates"/>, or an empty string when none is near.</summary>
    public static string Hint(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(name, candidate);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        // Near: a few edits, and fewer than a third of the name (so "a" does not suggest "b").
        return best is not null && bestDistance <= Math.Min(3, Math.Max(1, name.Length / 3)) ? $" (did you mean '{best}'?)" : string.Empty;
    }

    /// <summary>The optimal string alignment distance (insertions, deletions, substitutions, adjacent swaps), case-insensitive.</summary>
    internal static int Distance(string a, string b)
    {
        a = a.ToUpperInvariant();
        b = b.ToUpperInvariant();
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
