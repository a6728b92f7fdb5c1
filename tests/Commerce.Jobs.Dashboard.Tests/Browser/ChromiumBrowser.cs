using System.Diagnostics;
using System.Globalization;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Commerce.Jobs.Dashboard.Tests.Browser;

/// <summary>
/// One headless Chromium driven by Selenium, for browser tests (use as <c>IClassFixture&lt;ChromiumBrowser&gt;</c> or
/// a collection fixture, or standalone with <c>using</c>). Uses the system browser and driver only (Debian packages
/// <c>chromium</c> and <c>chromium-driver</c>): the driver path is always given explicitly, so Selenium Manager is never
/// invoked and nothing is ever downloaded. Every wait is bounded.
/// </summary>
public sealed class ChromiumBrowser : IDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string DriverDirectory = "/usr/bin";
    public const string DriverFileName = "chromedriver";

    /// <summary>The bound on every WebDriver command (HTTP call to chromedriver), and on chromedriver's start.</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    public static readonly TimeSpan PageLoadTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long a wait for the page polls: generous, as the suite runs on busy shared machines (a wait that holds ends at once).</summary>
    public static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromSeconds(60);

    public static readonly TimeSpan PollingInterval = TimeSpan.FromMilliseconds(50);

    private const int BodyTextLimit = 2000;

    private readonly string userDataDir;
    private readonly ChromeDriverService service;
    private readonly ChromeDriver driver;
    private bool disposed;

    public ChromiumBrowser()
    {
        var driverPath = Path.Combine(DriverDirectory, DriverFileName);
        if (!File.Exists(ChromiumPath) || !File.Exists(driverPath))
        {
            throw new InvalidOperationException(
                $"The browser tests need the system Chromium and its WebDriver ({ChromiumPath} and {driverPath}); " +
                "install with `apt-get install -y chromium chromium-driver` (as root), or run `bash eng/test.sh` which does.");
        }

        userDataDir = Path.Combine(Path.GetTempPath(), "commerce-jobs-chromium-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(userDataDir);

        var options = new ChromeOptions
        {
            BinaryLocation = ChromiumPath,
            PageLoadTimeout = PageLoadTimeout,
            ImplicitWaitTimeout = TimeSpan.Zero,
            // A test that fails with an alert open must not poison the next one: dismiss unexpected prompts.
            UnhandledPromptBehavior = UnhandledPromptBehavior.Dismiss,
        };
        options.AddArguments(
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
            "--user-data-dir=" + userDataDir);
        // Console messages, read back by TakeConsoleErrors() and included in wait-failure messages.
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);

        // The explicit directory and file name keep Selenium Manager out (it runs only when the driver path is unknown).
        service = ChromeDriverService.CreateDefaultService(DriverDirectory, DriverFileName);
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        service.InitializationTimeout = CommandTimeout;

        try
        {
            driver = new ChromeDriver(service, options, CommandTimeout);
            ITimeouts timeouts = driver.Manage().Timeouts();
            timeouts.ImplicitWait = TimeSpan.Zero;
            timeouts.PageLoad = PageLoadTimeout;
            timeouts.AsynchronousJavaScript = PageLoadTimeout;
        }
        catch
        {
            // The constructor failed, so nobody will call Dispose: release what was started.
            service.Dispose();
            KillLeftoverBrowserProcesses();
            TryDeleteUserDataDir();
            throw;
        }
    }

    public IWebDriver Driver
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return driver;
        }
    }

    /// <summary>Navigates to <paramref name="url"/> (bounded by the page-load timeout).</summary>
    public void GoTo(string url) => Driver.Navigate().GoToUrl(url);

    /// <summary>Polls <paramref name="find"/> until it returns an element; throws with page diagnostics on timeout.</summary>
    public IWebElement WaitFor(Func<IWebDriver, IWebElement?> find, TimeSpan? timeout = null, string? because = null)
    {
        ArgumentNullException.ThrowIfNull(find);
        return Wait(find, timeout, because ?? "an element to appear")
               ?? throw new InvalidOperationException("WebDriverWait returned without an element.");
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; throws with page diagnostics on timeout.</summary>
    public void WaitUntil(Func<IWebDriver, bool> condition, TimeSpan? timeout = null, string? because = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        Wait(condition, timeout, because ?? "a condition to hold");
    }

    /// <summary>
    /// Returns the SEVERE browser console entries (script errors, failed requests, CSP violations) logged since the
    /// last call, and clears them.
    /// </summary>
    public IReadOnlyList<string> TakeConsoleErrors()
    {
        try
        {
            return Driver.Manage().Logs.GetLog(LogType.Browser)
                .Where(e => e.Level == LogLevel.Severe)
                .Select(e => e.Message)
                .ToList();
        }
        catch (WebDriverException)
        {
            return [];
        }
    }

    /// <summary>
    /// Returns the browser to a neutral state (about:blank, no cookies, console log drained), for a test that
    /// shares the fixture with one that may have failed mid-way.
    /// </summary>
    public void Reset()
    {
        Driver.Navigate().GoToUrl("about:blank");
        // WebDriver's "delete all cookies" acts on the current document's site only (none, on about:blank): clear the
        // browser's whole cookie store. Cookies ignore ports, so one test's cookies would reach the next test's host.
        driver.ExecuteCdpCommand("Network.clearBrowserCookies", []);
        TakeConsoleErrors();
    }

    /// <summary>The current URL, the trimmed text of the page and any console errors: for failure messages.</summary>
    public string Describe()
    {
        string url;
        string text;
        try
        {
            url = driver.Url;
        }
        catch (WebDriverException ex)
        {
            url = $"(unavailable: {ex.Message})";
        }

        try
        {
            text = driver.ExecuteScript("return document.body ? document.body.innerText : '(no body)';") as string ?? "";
            text = text.Trim();
            if (text.Length > BodyTextLimit)
            {
                text = string.Concat(text.AsSpan(0, BodyTextLimit), "… (truncated)");
            }
        }
        catch (WebDriverException ex)
        {
            text = $"(unavailable: {ex.Message})";
        }

        IReadOnlyList<string> errors = TakeConsoleErrors();
        var console = errors.Count == 0 ? "(none)" : string.Join(Environment.NewLine + "  ", errors);
        return $"URL: {url}{Environment.NewLine}" +
               $"Console errors: {console}{Environment.NewLine}" +
               $"Body text:{Environment.NewLine}{text}";
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        try
        {
            // Closes the browser and ends the session (bounded by the command timeout).
            driver.Quit();
        }
        catch (WebDriverException)
        {
            // The browser or driver is already gone or hung: the steps below clean up regardless.
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            driver.Dispose();
            // Stops chromedriver, killing it if it does not exit by itself.
            service.Dispose();
            KillLeftoverBrowserProcesses();
            TryDeleteUserDataDir();
        }
    }

    private TResult Wait<TResult>(Func<IWebDriver, TResult> condition, TimeSpan? timeout, string because)
    {
        TimeSpan limit = timeout ?? DefaultWaitTimeout;
        var wait = new WebDriverWait(new SystemClock(), Driver, limit, PollingInterval);
        // The page may re-render between finding and using an element, or not have it yet.
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        try
        {
            return wait.Until(condition);
        }
        catch (WebDriverTimeoutException ex)
        {
            throw new WebDriverTimeoutException(
                string.Create(CultureInfo.InvariantCulture, $"Timed out after {limit.TotalSeconds:0.##} s waiting for {because}.") +
                Environment.NewLine + Describe(),
                ex);
        }
    }

    /// <summary>
    /// Kills any Chromium process still running with this fixture's profile directory (the browser outlives a
    /// chromedriver that was killed rather than asked to quit). Only this fixture's processes match.
    /// </summary>
    private void KillLeftoverBrowserProcesses()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var marker = "--user-data-dir=" + userDataDir;
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (!cmdline.Contains(marker, StringComparison.Ordinal))
                {
                    continue;
                }

                using var process = Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException
                                           or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already exited, or not ours to read.
            }
        }
    }

    /// <summary>
    /// Deletes the profile directory once; its browser processes were waited for above. A straggler still writing into
    /// it leaves a temporary directory behind, which is harmless, rather than a test that waits on the clock.
    /// </summary>
    private void TryDeleteUserDataDir()
    {
        try
        {
            if (Directory.Exists(userDataDir))
            {
                Directory.Delete(userDataDir, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left to the system's temporary-file cleanup.
        }
    }
}
