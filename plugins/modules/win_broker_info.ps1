#!powershell

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Read-only facts about an RTVS remote broker (R Remote Service for Visual Studio) on Windows.
# Nothing here writes to the host; the module is safe in check mode.

#AnsibleRequires -CSharpUtil Ansible.Basic

$spec = @{
    options = @{
        subject = @{ type = 'str' }
        service_names = @{ type = 'list'; elements = 'str'; default = @('RRemoteService', 'RHostBrokerService') }
        port = @{ type = 'int'; default = 5444 }
        firewall_rule_names = @{ type = 'list'; elements = 'str'; default = @('Microsoft.R.Host.Broker', 'Microsoft.R.Host') }
        log_folder = @{ type = 'path'; default = '%SystemRoot%\ServiceProfiles\NetworkService\AppData\Local\Temp' }
        log_lines = @{ type = 'int'; default = 20 }
        min_dotnet_release = @{ type = 'int'; default = 394254 }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$ConfigFileName = 'Microsoft.R.Host.Broker.Config.json'
$InstallRootName = 'R Remote Service for Visual Studio'
# The broker looks in these LocalMachine stores, in this order, and takes the first exact Subject match.
$BrokerStoreOrder = @('Root', 'AuthRoot', 'CA', 'My')
# SIDs whose access rights apply to a process running as NETWORK SERVICE.
$NetworkServiceSids = @('S-1-5-20', 'S-1-1-0', 'S-1-5-11', 'S-1-5-32-545', 'S-1-5-6')

function Format-IsoDate {
    param([DateTime]$Date)
    return $Date.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
}

function Get-StartModeName {
    param($Service)
    $key = "HKLM:\SYSTEM\CurrentControlSet\Services\$($Service.Name)"
    $props = Get-ItemProperty -LiteralPath $key -ErrorAction SilentlyContinue
    if ($null -eq $props) {
        return $null
    }
    switch ([int]$props.Start) {
        2 {
            if ($props.DelayedAutostart -eq 1) {
                return 'delayed'
            }
            return 'auto'
        }
        3 { return 'manual' }
        4 { return 'disabled' }
        0 { return 'boot' }
        1 { return 'system' }
    }
    return 'unknown'
}

function Get-ServiceFact {
    param([string]$Name)
    $fact = @{
        name = $Name
        exists = $false
        state = $null
        start_mode = $null
        username = $null
        path = $null
    }
    $svc = Get-Service -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $svc) {
        return $fact
    }
    $fact.exists = $true
    $fact.state = $svc.Status.ToString().ToLowerInvariant()
    $fact.start_mode = Get-StartModeName -Service $svc
    $props = Get-ItemProperty -LiteralPath "HKLM:\SYSTEM\CurrentControlSet\Services\$Name" -ErrorAction SilentlyContinue
    if ($null -ne $props) {
        $fact.username = $props.ObjectName
        $fact.path = $props.ImagePath
    }
    return $fact
}

function Get-ConfigPathFromImagePath {
    param([string]$ImagePath)
    if (-not $ImagePath) {
        return $null
    }
    $match = [regex]::Match($ImagePath, '--config\s+"([^"]+)"')
    if (-not $match.Success) {
        $match = [regex]::Match($ImagePath, '--config\s+(\S+)')
    }
    if ($match.Success) {
        return [Environment]::ExpandEnvironmentVariables($match.Groups[1].Value)
    }
    return $null
}

function Get-ExeFolderFromImagePath {
    param([string]$ImagePath)
    if (-not $ImagePath) {
        return $null
    }
    $match = [regex]::Match($ImagePath, '^\s*"([^"]+)"')
    if (-not $match.Success) {
        $match = [regex]::Match($ImagePath, '^\s*(\S+)')
    }
    if ($match.Success) {
        return Split-Path -Parent ([Environment]::ExpandEnvironmentVariables($match.Groups[1].Value))
    }
    return $null
}

function Find-InstallFolder {
    param($BrokerService)
    # 1. From the installed service: its --config argument, else its executable's folder.
    if ($BrokerService.exists) {
        $configPath = Get-ConfigPathFromImagePath -ImagePath $BrokerService.path
        if ($configPath) {
            return @{ folder = (Split-Path -Parent $configPath); config_path = $configPath; source = 'service' }
        }
        $folder = Get-ExeFolderFromImagePath -ImagePath $BrokerService.path
        if ($folder) {
            return @{ folder = $folder; config_path = (Join-Path $folder $ConfigFileName); source = 'service' }
        }
    }
    # 2. The newest versioned folder under %ProgramFiles%\R Remote Service for Visual Studio.
    $root = Join-Path $env:ProgramFiles $InstallRootName
    if (Test-Path -LiteralPath $root) {
        $candidates = @(Get-ChildItem -LiteralPath $root -Directory -ErrorAction SilentlyContinue | Where-Object {
                Test-Path -LiteralPath (Join-Path $_.FullName $ConfigFileName)
            })
        $best = $null
        $bestVersion = $null
        foreach ($candidate in $candidates) {
            $version = $null
            if (-not [Version]::TryParse($candidate.Name, [ref]$version)) {
                $version = New-Object -TypeName Version -ArgumentList 0, 0
            }
            if ($null -eq $best -or $version -gt $bestVersion) {
                $best = $candidate
                $bestVersion = $version
            }
        }
        if ($null -ne $best) {
            return @{ folder = $best.FullName; config_path = (Join-Path $best.FullName $ConfigFileName); source = 'search' }
        }
    }
    return @{ folder = $null; config_path = $null; source = $null }
}

function Get-OsFact {
    $os = Get-CimInstance -ClassName Win32_OperatingSystem
    $version = [Version]$os.Version
    $productType = switch ([int]$os.ProductType) {
        1 { 'workstation' }
        2 { 'domain_controller' }
        3 { 'server' }
        default { 'unknown' }
    }
    return @{
        caption = $os.Caption
        version = $os.Version
        build = $version.Build
        product_type = $productType
    }
}

function Get-DotNetFact {
    param([int]$Minimum)
    $key = 'HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full'
    $props = Get-ItemProperty -LiteralPath $key -ErrorAction SilentlyContinue
    $release = $null
    $version = $null
    if ($null -ne $props) {
        if ($null -ne $props.Release) {
            $release = [int]$props.Release
        }
        $version = $props.Version
    }
    return @{
        release = $release
        version = $version
        minimum_release = $Minimum
        meets_minimum = ($null -ne $release -and $release -ge $Minimum)
    }
}

function Get-VcRuntimeFact {
    # VC++ 2015, 2017, 2019 and 2022 share the 14.0 runtime key.
    $keys = @(
        'HKLM:\SOFTWARE\Microsoft\VisualStudio\14.0\VC\Runtimes\x64',
        'HKLM:\SOFTWARE\WOW6432Node\Microsoft\VisualStudio\14.0\VC\Runtimes\x64'
    )
    foreach ($key in $keys) {
        $props = Get-ItemProperty -LiteralPath $key -ErrorAction SilentlyContinue
        if ($null -ne $props -and [int]$props.Installed -eq 1) {
            return @{ installed = $true; version = $props.Version; registry_key = $key }
        }
    }
    return @{ installed = $false; version = $null; registry_key = $null }
}

function Test-SupportedRVersion {
    param([string]$Version)
    $parsed = $null
    if (-not [Version]::TryParse($Version, [ref]$parsed)) {
        return $false
    }
    return ($parsed.Major -eq 3 -and $parsed.Minor -ge 2 -and $parsed.Minor -le 9)
}

function Get-RInstallFact {
    $installs = @()
    $seen = @{}
    $roots = @(
        @{ key = 'HKLM:\SOFTWARE\R-core\R64'; source = 'R-core\R64' },
        @{ key = 'HKLM:\SOFTWARE\R-core\R'; source = 'R-core\R' }
    )
    foreach ($root in $roots) {
        if (-not (Test-Path -LiteralPath $root.key)) {
            continue
        }
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
            $version = $sub.PSChildName
            $installs += @{
                version = $version
                path = $path
                source = $root.source
                r_exe_exists = (Test-Path -LiteralPath (Join-Path $path 'bin\x64\R.exe'))
                supported = (Test-SupportedRVersion -Version $version)
            }
        }
    }
    return , $installs
}

function Test-NetworkServiceRead {
    param([string]$KeyFile)
    if (-not $KeyFile -or -not (Test-Path -LiteralPath $KeyFile)) {
        return $null
    }
    $acl = Get-Acl -LiteralPath $KeyFile
    $allowed = $false
    foreach ($rule in $acl.Access) {
        try {
            $sid = $rule.IdentityReference.Translate([System.Security.Principal.SecurityIdentifier]).Value
        }
        catch {
            continue
        }
        if ($NetworkServiceSids -notcontains $sid) {
            continue
        }
        # ReadData (0x1) or GenericRead (0x80000000) or GenericAll (0x10000000).
        $rights = [int64][int]$rule.FileSystemRights
        $readsData = ($rights -band 0x1) -ne 0 -or ($rights -band 0x10000000) -ne 0 -or $rights -lt 0
        if (-not $readsData) {
            continue
        }
        if ($rule.AccessControlType -eq 'Deny') {
            return $false
        }
        $allowed = $true
    }
    return $allowed
}

function Get-PrivateKeyFile {
    param($Certificate)
    $result = @{ provider = $null; key_file = $null; error = $null }
    if (-not $Certificate.HasPrivateKey) {
        return $result
    }
    try {
        $rsa = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($Certificate)
        if ($rsa -is [System.Security.Cryptography.RSACng]) {
            $result.provider = 'cng'
            $unique = $rsa.Key.UniqueName
            $result.key_file = Join-Path $env:ProgramData "Microsoft\Crypto\Keys\$unique"
        }
        elseif ($rsa -is [System.Security.Cryptography.RSACryptoServiceProvider]) {
            $result.provider = 'csp'
            $unique = $rsa.CspKeyContainerInfo.UniqueKeyContainerName
            $result.key_file = Join-Path $env:ProgramData "Microsoft\Crypto\RSA\MachineKeys\$unique"
        }
        else {
            $result.error = 'The private key is not an RSA key this module can locate.'
        }
    }
    catch {
        $result.error = $_.Exception.Message
    }
    return $result
}

function Get-CertificateFact {
    param([string]$Subject)
    $found = @()
    $order = 0
    $selectedSet = $false
    foreach ($storeName in $BrokerStoreOrder) {
        $store = New-Object -TypeName System.Security.Cryptography.X509Certificates.X509Store -ArgumentList $storeName, 'LocalMachine'
        try {
            $store.Open('ReadOnly, OpenExistingOnly')
        }
        catch {
            $order++
            continue
        }
        try {
            foreach ($cert in $store.Certificates) {
                if (-not [string]::Equals($cert.Subject, $Subject, [StringComparison]::OrdinalIgnoreCase)) {
                    continue
                }
                $key = Get-PrivateKeyFile -Certificate $cert
                $fact = @{
                    store = $storeName
                    store_order = $order
                    thumbprint = $cert.Thumbprint
                    subject = $cert.Subject
                    issuer = $cert.Issuer
                    not_before = Format-IsoDate -Date $cert.NotBefore
                    not_after = Format-IsoDate -Date $cert.NotAfter
                    expired = ($cert.NotAfter.ToUniversalTime() -lt [DateTime]::UtcNow)
                    has_private_key = $cert.HasPrivateKey
                    key_provider = $key.provider
                    key_file = $key.key_file
                    key_error = $key.error
                    network_service_read = (Test-NetworkServiceRead -KeyFile $key.key_file)
                    selected = $false
                }
                if (-not $selectedSet) {
                    $fact.selected = $true
                    $selectedSet = $true
                }
                $found += $fact
            }
        }
        finally {
            $store.Close()
        }
        $order++
    }
    return , $found
}

function Hide-ConfigSecret {
    param([string]$Text)
    if ($null -eq $Text) {
        return $null
    }
    $pattern = '("X509CertificatePassword"\s*:\s*)("(?:[^"\\]|\\.)*")'
    return [regex]::Replace($Text, $pattern, '$1"********"', 'IgnoreCase')
}

function ConvertTo-PlainValue {
    # ConvertFrom-Json gives PSCustomObjects; turn them into hashtables and arrays for the JSON result.
    param($Value)
    if ($null -eq $Value) {
        return $null
    }
    if ($Value -is [System.Management.Automation.PSCustomObject]) {
        $table = @{}
        foreach ($property in $Value.PSObject.Properties) {
            $table[$property.Name] = ConvertTo-PlainValue -Value $property.Value
        }
        return $table
    }
    if ($Value -is [System.Collections.IEnumerable] -and $Value -isnot [string]) {
        $items = @()
        foreach ($item in $Value) {
            $items += , (ConvertTo-PlainValue -Value $item)
        }
        return , $items
    }
    return $Value
}

function Get-ConfigFact {
    param([string]$Path)
    $fact = @{ path = $Path; exists = $false; text = $null; parsed = $false; error = $null; content = $null }
    if (-not $Path -or -not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        return $fact
    }
    $fact.exists = $true
    try {
        $raw = [System.IO.File]::ReadAllText($Path)
    }
    catch {
        $fact.error = "Cannot read the file: $($_.Exception.Message)"
        return $fact
    }
    $fact.text = Hide-ConfigSecret -Text $raw
    try {
        $parsedJson = ConvertFrom-Json -InputObject $fact.text -ErrorAction Stop
        $fact.content = ConvertTo-PlainValue -Value $parsedJson
        $fact.parsed = $true
    }
    catch {
        $fact.error = "Not valid JSON: $($_.Exception.Message)"
    }
    return $fact
}

function Get-FirewallFact {
    param([string[]]$Names, [int]$Port)
    $rules = @()
    $fw = New-Object -ComObject HNetCfg.FwPolicy2
    foreach ($rule in $fw.Rules) {
        $byName = $Names -contains $rule.Name
        $byPort = $false
        if ($rule.Protocol -eq 6 -and $rule.LocalPorts) {
            foreach ($part in ($rule.LocalPorts -split ',')) {
                if ($part -eq "$Port") {
                    $byPort = $true
                }
                elseif ($part -match '^(\d+)-(\d+)$') {
                    if ([int]$Matches[1] -le $Port -and $Port -le [int]$Matches[2]) {
                        $byPort = $true
                    }
                }
            }
        }
        if (-not ($byName -or $byPort)) {
            continue
        }
        $direction = 'out'
        if ($rule.Direction -eq 1) {
            $direction = 'in'
        }
        $action = 'block'
        if ($rule.Action -eq 1) {
            $action = 'allow'
        }
        $rules += @{
            name = $rule.Name
            matched_by = $(if ($byName) { 'name' } else { 'port' })
            enabled = [bool]$rule.Enabled
            direction = $direction
            action = $action
            program = $rule.ApplicationName
            protocol = [int]$rule.Protocol
            local_ports = $rule.LocalPorts
            remote_addresses = $rule.RemoteAddresses
            profiles = [int]$rule.Profiles
            grouping = $rule.Grouping
        }
    }
    return , $rules
}

function Get-LogFact {
    param([string]$Folder, [int]$Lines)
    $fact = @{ folder = $Folder; newest = $null; tail = @(); error_lines = @() }
    if (-not (Test-Path -LiteralPath $Folder)) {
        return $fact
    }
    $newest = Get-ChildItem -LiteralPath $Folder -Filter 'Microsoft.R.Host.Broker*.log' -File -ErrorAction SilentlyContinue |
        Sort-Object -Property LastWriteTimeUtc -Descending |
        Select-Object -First 1
    if ($null -eq $newest) {
        return $fact
    }
    $fact.newest = @{
        path = $newest.FullName
        last_write_time = Format-IsoDate -Date $newest.LastWriteTimeUtc
        size = $newest.Length
    }
    # The broker keeps its log open; share the file for reading.
    $stream = New-Object -TypeName System.IO.FileStream -ArgumentList $newest.FullName, 'Open', 'Read', 'ReadWrite'
    try {
        $reader = New-Object -TypeName System.IO.StreamReader -ArgumentList $stream
        $all = $reader.ReadToEnd() -split "\r?\n" | Where-Object { $_ -ne '' }
        $reader.Dispose()
    }
    finally {
        $stream.Dispose()
    }
    $all = @($all)
    $fact.tail = @($all | Select-Object -Last $Lines)
    $fact.error_lines = @($all | Where-Object { $_ -match '(?i)\b(error|fail|failed|exception|not found|critical)\b' } | Select-Object -Last $Lines)
    return $fact
}

function Find-RHostExecutable {
    param([string]$InstallFolder)
    if (-not $InstallFolder) {
        return $null
    }
    $direct = Join-Path $InstallFolder 'Microsoft.R.Host.exe'
    if (Test-Path -LiteralPath $direct) {
        return $direct
    }
    $found = Get-ChildItem -LiteralPath $InstallFolder -Filter 'Microsoft.R.Host.exe' -File -Recurse -ErrorAction SilentlyContinue |
        Select-Object -First 1
    if ($null -ne $found) {
        return $found.FullName
    }
    return $null
}

function Find-BrokerExecutable {
    param([string]$InstallFolder)
    if (-not $InstallFolder) {
        return $null
    }
    foreach ($name in @('Microsoft.R.Host.Broker.Windows.exe', 'Microsoft.R.Host.Broker.exe')) {
        $candidate = Join-Path $InstallFolder $name
        if (Test-Path -LiteralPath $candidate) {
            return $candidate
        }
    }
    return $null
}

$subject = $module.Params.subject
if (-not $subject) {
    $subject = "CN=$([Environment]::MachineName)"
}

$broker = $null
foreach ($name in $module.Params.service_names) {
    $candidate = Get-ServiceFact -Name $name
    if ($candidate.exists) {
        $broker = $candidate
        break
    }
}
if ($null -eq $broker) {
    $broker = Get-ServiceFact -Name $module.Params.service_names[0]
}

$install = Find-InstallFolder -BrokerService $broker

$module.Result.os = Get-OsFact
$module.Result.dotnet = Get-DotNetFact -Minimum $module.Params.min_dotnet_release
$module.Result.vc_runtime = Get-VcRuntimeFact
$module.Result.r_installs = Get-RInstallFact
$module.Result.install_folder = $install.folder
$module.Result.install_folder_source = $install.source
$module.Result.broker_executable = Find-BrokerExecutable -InstallFolder $install.folder
$module.Result.rhost_executable = Find-RHostExecutable -InstallFolder $install.folder
$module.Result.services = @{
    broker = $broker
    user_profile = Get-ServiceFact -Name 'RUserProfileService'
    seclogon = Get-ServiceFact -Name 'seclogon'
}
$module.Result.certificate_subject = $subject
$module.Result.certificates = Get-CertificateFact -Subject $subject
$module.Result.config = Get-ConfigFact -Path $install.config_path
$module.Result.firewall_rules = Get-FirewallFact -Names $module.Params.firewall_rule_names -Port $module.Params.port
$module.Result.logs = Get-LogFact -Folder ([Environment]::ExpandEnvironmentVariables($module.Params.log_folder)) -Lines $module.Params.log_lines
$module.Result.changed = $false

$module.ExitJson()
