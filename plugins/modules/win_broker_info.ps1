#!powershell

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Gathers raw observations about an RTVS remote broker (R Remote Service for Visual Studio) on Windows.
# PowerShell gathers, Python decides: the action plugin plugins/action/win_broker_info.py runs this and
# turns the observations into facts with plugins/module_utils/windows/win_plan.py (which certificate the broker
# serves, where its key is, whether NETWORK SERVICE can read it, whether R is supported, ...).
# Every section is wrapped: an error in one becomes @{ error = '...' } instead of failing the module.
# Nothing here writes to the host; the module is safe in check mode.

#AnsibleRequires -CSharpUtil Ansible.Basic

$spec = @{
    options = @{
        subject_contains = @{ type = 'list'; elements = 'str'; default = @() }
        thumbprints = @{ type = 'list'; elements = 'str'; default = @() }
        friendly_name_prefix = @{ type = 'str'; default = 'RTVS broker ' }
        sections = @{ type = 'list'; elements = 'str'; default = @('os', 'dotnet', 'vc_runtime', 'r_installs', 'services', 'install', 'stores', 'winrm', 'config', 'firewall', 'logs') }
        service_names = @{ type = 'list'; elements = 'str'; default = @('RRemoteService', 'RHostBrokerService') }
        port = @{ type = 'int'; default = 5444 }
        firewall_rule_names = @{ type = 'list'; elements = 'str'; default = @('Microsoft.R.Host.Broker', 'Microsoft.R.Host') }
        log_folder = @{ type = 'path'; default = '%SystemRoot%\ServiceProfiles\NetworkService\AppData\Local\Temp' }
        log_lines = @{ type = 'int'; default = 20 }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$ConfigFileName = 'Microsoft.R.Host.Broker.Config.json'
$InstallRootName = 'R Remote Service for Visual Studio'
# The stores the broker searches (LocalMachine); CA is CertificateAuthority.
$StoreNames = @('Root', 'AuthRoot', 'CA', 'My')
# Folders under %ProgramData%\Microsoft\Crypto where machine keys can be (CAPI, SYSTEM's CAPI, CNG, SYSTEM's CNG).
$KeyFolders = @('RSA\MachineKeys', 'RSA\S-1-5-18', 'Keys', 'SystemKeys')
# Without subject_contains, the broker's default Subject CN=<computer name>.
$SubjectContains = @($module.Params.subject_contains | Where-Object { $_ })
if ($SubjectContains.Count -eq 0) {
    $SubjectContains = @("CN=$([Environment]::MachineName)")
}

function Format-IsoDate {
    param([DateTime]$Date)
    return $Date.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
}

function Format-ErrorText {
    param($ErrorRecord)
    $exception = $ErrorRecord.Exception
    $text = $exception.Message
    if ($null -ne $exception.HResult -and $exception.HResult -ne 0) {
        $text = '{0} (HResult 0x{1:X8})' -f $text, $exception.HResult
    }
    return $text
}

function Invoke-Section {
    # Runs one gathering block; an exception becomes @{ error = ... } so one broken section
    # (a stopped firewall service, an unreadable ACL, a locked log) never fails the whole module.
    param([string]$Name, [scriptblock]$Block)
    if ($module.Params.sections -notcontains $Name) {
        return $null
    }
    try {
        return (& $Block)
    }
    catch {
        return @{ error = (Format-ErrorText -ErrorRecord $_) }
    }
}

function Get-ServiceFact {
    param([string]$Name)
    $fact = @{ name = $Name; exists = $false; state = $null; start_mode = $null; username = $null; path = $null }
    $svc = Get-Service -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $svc) {
        return $fact
    }
    $fact.exists = $true
    $fact.state = $svc.Status.ToString().ToLowerInvariant()
    $props = Get-ItemProperty -LiteralPath "HKLM:\SYSTEM\CurrentControlSet\Services\$Name" -ErrorAction SilentlyContinue
    if ($null -ne $props) {
        $fact.username = $props.ObjectName
        $fact.path = $props.ImagePath
        $mode = switch ([int]$props.Start) {
            0 { 'boot' }
            1 { 'system' }
            2 { if ($props.DelayedAutostart -eq 1) { 'delayed' } else { 'auto' } }
            3 { 'manual' }
            4 { 'disabled' }
            default { 'unknown' }
        }
        $fact.start_mode = $mode
    }
    return $fact
}

function Get-BrokerService {
    foreach ($name in $module.Params.service_names) {
        $candidate = Get-ServiceFact -Name $name
        if ($candidate.exists) {
            return $candidate
        }
    }
    return (Get-ServiceFact -Name $module.Params.service_names[0])
}

function Get-InstallFact {
    param($BrokerService)
    $fact = @{ folder = $null; config_path = $null; source = $null; broker_executable = $null; rhost_executable = $null }
    $imagePath = $BrokerService.path
    if ($BrokerService.exists -and $imagePath) {
        $match = [regex]::Match($imagePath, '--config\s+(?:"([^"]+)"|(\S+))')
        if ($match.Success) {
            $value = $match.Groups[1].Value
            if (-not $value) {
                $value = $match.Groups[2].Value
            }
            $fact.config_path = [Environment]::ExpandEnvironmentVariables($value)
            $fact.folder = Split-Path -Parent $fact.config_path
            $fact.source = 'service'
        }
        else {
            $exe = [regex]::Match($imagePath, '^\s*(?:"([^"]+)"|(\S+))')
            if ($exe.Success) {
                $value = $exe.Groups[1].Value
                if (-not $value) {
                    $value = $exe.Groups[2].Value
                }
                $fact.folder = Split-Path -Parent ([Environment]::ExpandEnvironmentVariables($value))
                $fact.config_path = Join-Path $fact.folder $ConfigFileName
                $fact.source = 'service'
            }
        }
    }
    if (-not $fact.folder) {
        $root = Join-Path $env:ProgramFiles $InstallRootName
        $bestVersion = $null
        foreach ($candidate in @(Get-ChildItem -LiteralPath $root -Directory -ErrorAction SilentlyContinue)) {
            if (-not (Test-Path -LiteralPath (Join-Path $candidate.FullName $ConfigFileName))) {
                continue
            }
            $version = $null
            if (-not [Version]::TryParse($candidate.Name, [ref]$version)) {
                $version = New-Object -TypeName Version -ArgumentList 0, 0
            }
            if ($null -eq $bestVersion -or $version -gt $bestVersion) {
                $bestVersion = $version
                $fact.folder = $candidate.FullName
                $fact.config_path = Join-Path $candidate.FullName $ConfigFileName
                $fact.source = 'search'
            }
        }
    }
    if ($fact.folder) {
        foreach ($name in @('Microsoft.R.Host.Broker.Windows.exe', 'Microsoft.R.Host.Broker.exe')) {
            $candidate = Join-Path $fact.folder $name
            if (-not $fact.broker_executable -and (Test-Path -LiteralPath $candidate)) {
                $fact.broker_executable = $candidate
            }
        }
        $rhost = Get-ChildItem -LiteralPath $fact.folder -Filter 'Microsoft.R.Host.exe' -File -Recurse -ErrorAction SilentlyContinue |
            Select-Object -First 1
        if ($null -ne $rhost) {
            $fact.rhost_executable = $rhost.FullName
        }
    }
    return $fact
}

function Get-KeyFileFact {
    # Every candidate file for the key's unique name(s), with its SDDL or the error reading it.
    param([string[]]$Names)
    $files = @()
    $cryptoRoot = Join-Path $env:ProgramData 'Microsoft\Crypto'
    foreach ($name in ($Names | Where-Object { $_ } | Select-Object -Unique)) {
        foreach ($folder in $KeyFolders) {
            $path = Join-Path (Join-Path $cryptoRoot $folder) $name
            $entry = @{ folder = $folder; name = $name; path = $path; exists = $false; sddl = $null; error = $null }
            try {
                $entry.exists = [System.IO.File]::Exists($path)
                if ($entry.exists) {
                    $entry.sddl = (Get-Acl -LiteralPath $path -ErrorAction Stop).Sddl
                }
            }
            catch {
                $entry.error = Format-ErrorText -ErrorRecord $_
            }
            $files += $entry
        }
    }
    return , $files
}

function Get-KeyFact {
    # The key behind the certificate, seen through both APIs: $cert.PrivateKey only opens CAPI keys
    # (its CspKeyContainerInfo carries the provider type and unique container name), GetRSAPrivateKey
    # returns RSACng for CAPI and CNG keys alike on .NET Framework 4.6+.
    param($Certificate)
    $key = @{
        provider_name = $null; provider_type = $null; csp_unique_name = $null; csp_container = $null; csp_error = $null
        rsa_class = $null; cng_provider = $null; cng_unique_name = $null; cng_key_name = $null; cng_error = $null
        handle_sddl = $null; handle_sddl_error = $null
    }
    try {
        $csp = $Certificate.PrivateKey
        if ($null -ne $csp -and $null -ne $csp.CspKeyContainerInfo) {
            $info = $csp.CspKeyContainerInfo
            $key.provider_name = $info.ProviderName
            $key.provider_type = [int]$info.ProviderType
            $key.csp_unique_name = $info.UniqueKeyContainerName
            $key.csp_container = $info.KeyContainerName
        }
    }
    catch {
        $key.csp_error = Format-ErrorText -ErrorRecord $_
    }
    try {
        $rsa = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($Certificate)
        if ($null -ne $rsa) {
            $key.rsa_class = $rsa.GetType().FullName
            if ($rsa -is [System.Security.Cryptography.RSACng]) {
                $key.cng_provider = $rsa.Key.Provider.Provider
                $key.cng_unique_name = $rsa.Key.UniqueName
                $key.cng_key_name = $rsa.Key.KeyName
                try {
                    # DACL_SECURITY_INFORMATION (0x4) | NCRYPT_SILENT_FLAG (0x40), as ansible.windows' _CertACLHelper.cs asks.
                    # [Enum]::ToObject: a PowerShell cast would refuse bits the enum does not name.
                    $options = [Enum]::ToObject([System.Security.Cryptography.CngPropertyOptions], 0x44)
                    $property = $rsa.Key.GetProperty('Security Descr', $options)
                    $descriptor = New-Object -TypeName System.Security.AccessControl.RawSecurityDescriptor -ArgumentList ([byte[]]$property.GetValue()), 0
                    $key.handle_sddl = $descriptor.GetSddlForm('Access')
                }
                catch {
                    $key.handle_sddl_error = Format-ErrorText -ErrorRecord $_
                }
            }
            elseif ($rsa -is [System.Security.Cryptography.RSACryptoServiceProvider] -and -not $key.csp_unique_name) {
                $key.provider_name = $rsa.CspKeyContainerInfo.ProviderName
                $key.provider_type = [int]$rsa.CspKeyContainerInfo.ProviderType
                $key.csp_unique_name = $rsa.CspKeyContainerInfo.UniqueKeyContainerName
            }
        }
    }
    catch {
        $key.cng_error = Format-ErrorText -ErrorRecord $_
    }
    return $key
}

function Get-CertificateObservation {
    param($Certificate)
    $dnsNames = @()
    try {
        foreach ($entry in $Certificate.DnsNameList) {
            $dnsNames += $entry.Unicode
        }
    }
    catch {
        $dnsNames = @()
    }
    $observation = @{
        thumbprint = $Certificate.Thumbprint
        subject = $Certificate.Subject
        issuer = $Certificate.Issuer
        friendly_name = $Certificate.FriendlyName
        not_before = Format-IsoDate -Date $Certificate.NotBefore
        not_after = Format-IsoDate -Date $Certificate.NotAfter
        has_private_key = $Certificate.HasPrivateKey
        dns_names = $dnsNames
        key = $null
        key_files = @()
    }
    if ($Certificate.HasPrivateKey) {
        $observation.key = Get-KeyFact -Certificate $Certificate
        $observation.key_files = Get-KeyFileFact -Names @($observation.key.csp_unique_name, $observation.key.cng_unique_name)
    }
    return $observation
}

function Test-Wanted {
    # Gathering filter only (the exact Subject comparison is made in Python): a Subject containing
    # one of subject_contains, a listed thumbprint, or a friendly name with this collection's prefix.
    param($Certificate)
    foreach ($part in $SubjectContains) {
        if ($part -and $Certificate.Subject.IndexOf($part, [StringComparison]::OrdinalIgnoreCase) -ge 0) {
            return $true
        }
    }
    if ($module.Params.thumbprints -contains $Certificate.Thumbprint) {
        return $true
    }
    $prefix = $module.Params.friendly_name_prefix
    return ($prefix -and $Certificate.FriendlyName -and $Certificate.FriendlyName.StartsWith($prefix, [StringComparison]::OrdinalIgnoreCase))
}

function Get-StoreFact {
    $stores = @{}
    foreach ($storeName in $StoreNames) {
        $entry = @{ certificates = @() }
        $store = New-Object -TypeName System.Security.Cryptography.X509Certificates.X509Store -ArgumentList $storeName, 'LocalMachine'
        try {
            $store.Open('ReadOnly, OpenExistingOnly')
            try {
                foreach ($cert in $store.Certificates) {
                    if (Test-Wanted -Certificate $cert) {
                        $entry.certificates += , (Get-CertificateObservation -Certificate $cert)
                    }
                }
            }
            finally {
                $store.Close()
            }
        }
        catch {
            $entry.error = Format-ErrorText -ErrorRecord $_
        }
        $stores[$storeName] = $entry
    }
    return $stores
}

function Get-WinRMFact {
    $listeners = @()
    foreach ($listener in @(Get-ChildItem -Path WSMan:\localhost\Listener -ErrorAction Stop)) {
        $values = @{}
        foreach ($item in @(Get-ChildItem -Path $listener.PSPath -ErrorAction Stop)) {
            $values[$item.Name] = [string]$item.Value
        }
        $listeners += @{
            transport = $values['Transport']
            address = $values['Address']
            port = $values['Port']
            hostname = $values['Hostname']
            thumbprint = $values['CertificateThumbprint']
        }
    }
    return @{ listeners = $listeners }
}

function Get-ConfigFact {
    # Raw bytes: the encoding (UTF-8 with or without BOM, UTF-16) is decided in Python, and the
    # action plugin masks the password before anything is returned.
    param([string]$Path)
    $fact = @{ path = $Path; exists = $false; bytes_b64 = $null; error = $null }
    if (-not $Path) {
        return $fact
    }
    $fact.exists = [System.IO.File]::Exists($Path)
    if ($fact.exists) {
        try {
            $fact.bytes_b64 = [Convert]::ToBase64String([System.IO.File]::ReadAllBytes($Path))
        }
        catch {
            $fact.error = "Cannot read the file: $(Format-ErrorText -ErrorRecord $_)"
        }
    }
    return $fact
}

function Get-FirewallFact {
    param([string[]]$Names, [int]$Port)
    $rules = @()
    # HNetCfg.FwPolicy2 throws when the Windows Firewall service is stopped: caught by Invoke-Section.
    $policy = New-Object -ComObject HNetCfg.FwPolicy2
    foreach ($rule in $policy.Rules) {
        $byName = $Names -contains $rule.Name
        $byPort = $false
        if ($rule.Protocol -eq 6 -and $rule.LocalPorts) {
            foreach ($part in ($rule.LocalPorts -split ',')) {
                if ($part -eq "$Port") {
                    $byPort = $true
                }
                elseif ($part -match '^(\d+)-(\d+)$' -and [int]$Matches[1] -le $Port -and $Port -le [int]$Matches[2]) {
                    $byPort = $true
                }
            }
        }
        if (-not ($byName -or $byPort)) {
            continue
        }
        $rules += @{
            name = $rule.Name
            matched_by = $(if ($byName) { 'name' } else { 'port' })
            enabled = [bool]$rule.Enabled
            direction = $(if ($rule.Direction -eq 1) { 'in' } else { 'out' })
            action = $(if ($rule.Action -eq 1) { 'allow' } else { 'block' })
            program = $rule.ApplicationName
            protocol = [int]$rule.Protocol
            local_ports = $rule.LocalPorts
            remote_addresses = $rule.RemoteAddresses
            profiles = [int]$rule.Profiles
            grouping = $rule.Grouping
        }
    }
    return @{ rules = $rules }
}

function Get-LogFact {
    param([string]$Folder, [int]$Lines)
    $fact = @{ folder = $Folder; newest = $null; tail = @(); error_lines = @(); error = $null }
    if (-not (Test-Path -LiteralPath $Folder)) {
        return $fact
    }
    $newest = Get-ChildItem -LiteralPath $Folder -Filter 'Microsoft.R.Host.Broker*.log' -File -ErrorAction SilentlyContinue |
        Sort-Object -Property LastWriteTimeUtc -Descending |
        Select-Object -First 1
    if ($null -eq $newest) {
        return $fact
    }
    $fact.newest = @{ path = $newest.FullName; last_write_time = Format-IsoDate -Date $newest.LastWriteTimeUtc; size = $newest.Length }
    try {
        # The broker keeps its log open: share it for reading and writing.
        $stream = New-Object -TypeName System.IO.FileStream -ArgumentList $newest.FullName, 'Open', 'Read', 'ReadWrite'
        try {
            $reader = New-Object -TypeName System.IO.StreamReader -ArgumentList $stream
            $all = @($reader.ReadToEnd() -split "\r?\n" | Where-Object { $_ -ne '' })
            $reader.Dispose()
        }
        finally {
            $stream.Dispose()
        }
        $fact.tail = @($all | Select-Object -Last $Lines)
        $fact.error_lines = @($all | Where-Object { $_ -match '(?i)\b(error|fail|failed|exception|not found|critical)\b' } | Select-Object -Last $Lines)
    }
    catch {
        $fact.error = Format-ErrorText -ErrorRecord $_
    }
    return $fact
}

$broker = Get-BrokerService
$install = Invoke-Section -Name 'install' -Block { Get-InstallFact -BrokerService $broker }
$configPath = $null
if ($null -ne $install -and -not $install.ContainsKey('error')) {
    $configPath = $install.config_path
}

$module.Result.machine_name = [Environment]::MachineName
$module.Result.subject_contains = $SubjectContains
$module.Result.os = Invoke-Section -Name 'os' -Block {
    $os = Get-CimInstance -ClassName Win32_OperatingSystem -ErrorAction Stop
    $productType = switch ([int]$os.ProductType) {
        1 { 'workstation' }
        2 { 'domain_controller' }
        3 { 'server' }
        default { 'unknown' }
    }
    @{ caption = $os.Caption; version = $os.Version; build = ([Version]$os.Version).Build; product_type = $productType }
}
$module.Result.dotnet = Invoke-Section -Name 'dotnet' -Block {
    $props = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full' -ErrorAction SilentlyContinue
    $fact = @{ release = $null; version = $null }
    if ($null -ne $props) {
        if ($null -ne $props.Release) {
            $fact.release = [int]$props.Release
        }
        $fact.version = $props.Version
    }
    $fact
}
$module.Result.vc_runtime = Invoke-Section -Name 'vc_runtime' -Block {
    # VC++ 2015, 2017, 2019 and 2022 share the 14.0 runtime key.
    $fact = @{ installed = $false; version = $null; registry_key = $null }
    foreach ($key in @('HKLM:\SOFTWARE\Microsoft\VisualStudio\14.0\VC\Runtimes\x64', 'HKLM:\SOFTWARE\WOW6432Node\Microsoft\VisualStudio\14.0\VC\Runtimes\x64')) {
        $props = Get-ItemProperty -LiteralPath $key -ErrorAction SilentlyContinue
        if (-not $fact.installed -and $null -ne $props -and [int]$props.Installed -eq 1) {
            $fact = @{ installed = $true; version = $props.Version; registry_key = $key }
        }
    }
    $fact
}
$module.Result.r_installs = Invoke-Section -Name 'r_installs' -Block {
    $installs = @()
    $seen = @{}
    foreach ($root in @(@{ key = 'HKLM:\SOFTWARE\R-core\R64'; source = 'R-core\R64' }, @{ key = 'HKLM:\SOFTWARE\R-core\R'; source = 'R-core\R' })) {
        foreach ($sub in @(Get-ChildItem -LiteralPath $root.key -ErrorAction SilentlyContinue)) {
            $props = Get-ItemProperty -LiteralPath $sub.PSPath -ErrorAction SilentlyContinue
            if ($null -eq $props -or -not $props.InstallPath) {
                continue
            }
            $path = $props.InstallPath.TrimEnd('\')
            if ($seen.ContainsKey($path.ToLowerInvariant())) {
                continue
            }
            $seen[$path.ToLowerInvariant()] = $true
            $installs += @{ version = $sub.PSChildName; path = $path; source = $root.source; r_exe_exists = (Test-Path -LiteralPath (Join-Path $path 'bin\x64\R.exe')) }
        }
    }
    @{ installs = $installs }
}
$module.Result.install = $install
$module.Result.services = Invoke-Section -Name 'services' -Block {
    @{ broker = $broker; user_profile = (Get-ServiceFact -Name 'RUserProfileService'); seclogon = (Get-ServiceFact -Name 'seclogon') }
}
$module.Result.stores = Invoke-Section -Name 'stores' -Block { Get-StoreFact }
$module.Result.winrm = Invoke-Section -Name 'winrm' -Block { Get-WinRMFact }
$module.Result.config = Invoke-Section -Name 'config' -Block { Get-ConfigFact -Path $configPath }
$module.Result.firewall = Invoke-Section -Name 'firewall' -Block { Get-FirewallFact -Names $module.Params.firewall_rule_names -Port $module.Params.port }
$module.Result.logs = Invoke-Section -Name 'logs' -Block {
    Get-LogFact -Folder ([Environment]::ExpandEnvironmentVariables($module.Params.log_folder)) -Lines $module.Params.log_lines
}
$module.Result.changed = $false

$module.ExitJson()
