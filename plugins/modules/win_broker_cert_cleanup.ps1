#!powershell

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Remove certificates that would shadow the broker's certificate: the broker takes the first
# certificate whose Subject equals its configured name, searching LocalMachine Root, AuthRoot,
# CA and My in that order, without checking expiry or the private key.

#AnsibleRequires -CSharpUtil Ansible.Basic

$spec = @{
    options = @{
        subject = @{ type = 'str'; required = $true }
        keep_thumbprint = @{ type = 'str'; required = $true }
        stores = @{ type = 'list'; elements = 'str'; default = @('Root', 'AuthRoot', 'CA', 'My') }
        require_kept = @{ type = 'bool'; default = $true }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$subject = $module.Params.subject.Trim()
$keep = ($module.Params.keep_thumbprint -replace '[^0-9A-Fa-f]', '').ToUpperInvariant()
$allowedStores = @('Root', 'AuthRoot', 'CA', 'My')

if ($keep.Length -ne 40) {
    $module.FailJson("keep_thumbprint must be a SHA-1 thumbprint (40 hex digits); got '$($module.Params.keep_thumbprint)'. Pass the thumbprint of the certificate the broker should use.")
}
if (-not $subject.StartsWith('CN=', [StringComparison]::OrdinalIgnoreCase)) {
    $module.FailJson("subject must be the exact certificate Subject such as 'CN=r.example.com'; got '$subject'.")
}
foreach ($storeName in $module.Params.stores) {
    if ($allowedStores -notcontains $storeName) {
        $module.FailJson("stores may only contain $($allowedStores -join ', ') (the stores the broker searches); got '$storeName'.")
    }
}

function Format-IsoDate {
    param([DateTime]$Date)
    return $Date.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
}

function Get-MatchingCertificate {
    param($Store)
    $matching = @()
    foreach ($cert in $Store.Certificates) {
        if ([string]::Equals($cert.Subject, $subject, [StringComparison]::OrdinalIgnoreCase)) {
            $matching += $cert
        }
    }
    return , $matching
}

$removed = @()
$kept = @()
$before = @{}
$after = @{}
$keptInMy = $false
$openFlags = 'ReadWrite, OpenExistingOnly'
if ($module.CheckMode) {
    $openFlags = 'ReadOnly, OpenExistingOnly'
}

# First pass (read-only): is the certificate to keep present in My? Nothing is removed if not.
$myStore = New-Object -TypeName System.Security.Cryptography.X509Certificates.X509Store -ArgumentList 'My', 'LocalMachine'
$myStore.Open('ReadOnly, OpenExistingOnly')
try {
    foreach ($cert in (Get-MatchingCertificate -Store $myStore)) {
        if ($cert.Thumbprint -eq $keep) {
            $keptInMy = $true
        }
    }
}
finally {
    $myStore.Close()
}
if ($module.Params.require_kept -and -not $keptInMy -and -not $module.CheckMode) {
    $module.FailJson("The certificate $keep with Subject '$subject' is not in LocalMachine\My, so nothing was removed. Import it first (ansible.windows.win_certificate_store) or set require_kept=false.")
}

foreach ($storeName in $module.Params.stores) {
    $store = New-Object -TypeName System.Security.Cryptography.X509Certificates.X509Store -ArgumentList $storeName, 'LocalMachine'
    try {
        $store.Open($openFlags)
    }
    catch {
        # A store that does not exist holds nothing to remove.
        $before[$storeName] = @()
        $after[$storeName] = @()
        continue
    }
    try {
        $matching = Get-MatchingCertificate -Store $store
        $before[$storeName] = @($matching | ForEach-Object { $_.Thumbprint })
        $remaining = @()
        foreach ($cert in $matching) {
            if ($cert.Thumbprint -eq $keep) {
                $kept += @{ store = $storeName; thumbprint = $cert.Thumbprint }
                $remaining += $cert.Thumbprint
                continue
            }
            $removed += @{
                store = $storeName
                thumbprint = $cert.Thumbprint
                subject = $cert.Subject
                not_after = Format-IsoDate -Date $cert.NotAfter
                has_private_key = $cert.HasPrivateKey
            }
            if (-not $module.CheckMode) {
                $store.Remove($cert)
            }
        }
        $after[$storeName] = $remaining
    }
    finally {
        $store.Close()
    }
}

$module.Result.changed = ($removed.Count -gt 0)
$module.Result.removed = $removed
$module.Result.kept = $kept
$module.Result.kept_in_my = $keptInMy
$module.Diff.before = $before
$module.Diff.after = $after

$module.ExitJson()
