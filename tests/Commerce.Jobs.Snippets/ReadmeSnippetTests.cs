using System.Text.RegularExpressions;

namespace Commerce.Jobs.Snippets;

/// <summary>
/// Every <c>```csharp</c> block of every README.md in the repository is preceded by <c>&lt;!-- snippet: name --&gt;</c>
/// and equals (up to leading indentation) the region <c>#region name</c> of a file under <c>tests/Commerce.Jobs.Snippets/Snippets</c>
/// or <c>samples/</c>, which this project (or the sample's) compiles: a README sample that no longer compiles, or
/// drifts from the code that does, fails here.
/// </summary>
public sealed partial class ReadmeSnippetTests
{
    private static readonly string Root = FindRoot();

    public static TheoryData<string> Readmes()
    {
        var data = new TheoryData<string>();
        foreach (var path in ReadmePaths())
        {
            data.Add(path);
        }

        return data;
    }

    private static List<string> ReadmePaths() => [.. SourceFiles("README.md").Select(path => Path.GetRelativePath(Root, path).Replace('\\', '/'))];

    [Theory]
    [MemberData(nameof(Readmes))]
    public void Every_csharp_block_is_a_marked_snippet_equal_to_its_compiled_region(string readme)
    {
        var regions = Regions();

        var problems = Check(File.ReadAllText(Path.Combine(Root, readme)), regions);

        Assert.True(problems.Count == 0, $"{readme}:\n{string.Join("\n", problems)}");
    }

    [Fact]
    public void The_readmes_found_include_the_root_every_package_and_the_sample()
    {
        var readmes = ReadmePaths();

        Assert.Contains("README.md", readmes);
        Assert.Contains("src/Commerce.Jobs/README.md", readmes);
        Assert.Contains("src/Commerce.Jobs.Adapters.AspNetCore/README.md", readmes);
        Assert.Contains("samples/Commerce.Jobs.Samples.Storefront/README.md", readmes);
        Assert.Contains("benchmarks/README.md", readmes);
        Assert.True(Regions().Count >= 25, $"only {Regions().Count} regions found");
    }

    [Fact]
    public void A_block_that_differs_from_its_region_or_has_no_marker_is_reported()
    {
        var regions = new Dictionary<string, string>(StringComparer.Ordinal) { ["a"] = "        jobs.AddJob<X>(\"x\");\n        jobs.Done();" };
        const string Same = "<!-- snippet: a -->\n```csharp\njobs.AddJob<X>(\"x\");\njobs.Done();\n```\n";
        const string Changed = "<!-- snippet: a -->\n```csharp\njobs.AddJob<X>(\"y\");\njobs.Done();\n```\n";
        const string Unmarked = "Text.\n\n```csharp\njobs.Done();\n```\n";
        const string Unknown = "<!-- snippet: b -->\n```csharp\njobs.Done();\n```\n";

        Assert.Empty(Check(Same, regions));
        Assert.Contains("differs from region 'a'", Assert.Single(Check(Changed, regions)), StringComparison.Ordinal);
        Assert.Contains("has no <!-- snippet: name --> marker", Assert.Single(Check(Unmarked, regions)), StringComparison.Ordinal);
        Assert.Contains("no region 'b'", Assert.Single(Check(Unknown, regions)), StringComparison.Ordinal);
    }

    /// <summary>Checks one README's text; returns a line per problem.</summary>
    internal static List<string> Check(string readme, IReadOnlyDictionary<string, string> regions)
    {
        var problems = new List<string>();
        var lines = readme.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (!CSharpFence().IsMatch(lines[i]))
            {
                continue;
            }

            var end = Array.FindIndex(lines, i + 1, l => l.Trim() == "```");
            if (end < 0)
            {
                problems.Add($"line {i + 1}: the csharp block is not closed");
                break;
            }

            var block = string.Join("\n", lines[(i + 1)..end]);
            var marker = i > 0 ? Marker().Match(lines[i - 1]) : Match.Empty;
            if (!marker.Success)
            {
                problems.Add($"line {i + 1}: the csharp block has no <!-- snippet: name --> marker on the line before it");
            }
            else if (!regions.TryGetValue(marker.Groups[1].Value, out var region))
            {
                problems.Add($"line {i + 1}: there is no region '{marker.Groups[1].Value}' in the snippet files");
            }
            else if (Normalize(block) != Normalize(region))
            {
                problems.Add($"line {i + 1}: the csharp block differs from region '{marker.Groups[1].Value}':\n--- README\n{Normalize(block)}\n--- region\n{Normalize(region)}");
            }

            i = end;
        }

        return problems;
    }

    /// <summary>Every <c>#region name</c> … <c>#endregion</c> of the snippet files and the samples, by name.</summary>
    private static Dictionary<string, string> Regions()
    {
        var regions = new Dictionary<string, string>(StringComparer.Ordinal);
        var files = SourceFiles("*.cs").Where(f =>
        {
            var relative = Path.GetRelativePath(Root, f).Replace('\\', '/');
            return relative.StartsWith("tests/Commerce.Jobs.Snippets/Snippets/", StringComparison.Ordinal) || relative.StartsWith("samples/", StringComparison.Ordinal);
        });
        foreach (var file in files)
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var start = RegionStart().Match(lines[i]);
                if (!start.Success)
                {
                    continue;
                }

                var end = Array.FindIndex(lines, i + 1, l => l.Trim().StartsWith("#endregion", StringComparison.Ordinal));
                Assert.True(end > i, $"{file}: #region {start.Groups[1].Value} has no #endregion");
                Assert.True(regions.TryAdd(start.Groups[1].Value, string.Join("\n", lines[(i + 1)..end])), $"region '{start.Groups[1].Value}' is defined twice");
                i = end;
            }
        }

        return regions;
    }

    /// <summary>Removes the lines' common indentation, trailing spaces and blank lines at either end.</summary>
    private static string Normalize(string text)
    {
        var lines = text.ReplaceLineEndings("\n").Split('\n').Select(l => l.TrimEnd()).ToList();
        while (lines.Count > 0 && lines[0].Length == 0)
        {
            lines.RemoveAt(0);
        }

        while (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        var indent = lines.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l));
    }

    private static IEnumerable<string> SourceFiles(string pattern)
        => Directory.EnumerateFiles(Root, pattern, SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(Root, f).Replace('\\', '/').Split('/').Any(part => part is "bin" or "obj" or ".git" or "node_modules" or "TestResults"))
            .Order(StringComparer.Ordinal);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Commerce.Jobs.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Commerce.Jobs.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"^\s*```\s*(csharp|cs|c#)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex CSharpFence();

    [GeneratedRegex(@"^\s*<!--\s*snippet:\s*([A-Za-z0-9._-]+)\s*-->\s*$")]
    private static partial Regex Marker();

    [GeneratedRegex(@"^\s*#region\s+([A-Za-z0-9._-]+)\s*$")]
    private static partial Regex RegionStart();
}
