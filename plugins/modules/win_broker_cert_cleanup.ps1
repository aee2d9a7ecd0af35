#!powershell

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Removes the certificates the plan chose (plugins/module_utils/windows/win_certs.py cleanup_plan): only
# this collection's own, known by their friendly name. The choice is made in Python; this module
# only deletes the listed thumbprints, and refuses any whose friendly name is not ours.

#AnsibleRequires -CSharpUtil Ansible.Basic

$spec = @{
    options = @{
        remove = @{ type = 'list'; elements = 'dict'; required = $true }
        keep_thumbprint = @{ type = 'str'; required = $true }
        friendly_name = @{ type = 'str'; required = $true }
        require_kept = @{ type = 'bool'; default = $true }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$keep = ($module.Params.keep_thumbprint -replace '[^0-9A-Fa-f]', '').ToUpperInvariant()
$friendlyName = $module.Params.friendly_name
$allowedStores = @('Root', 'AuthRoot', 'CA', 'My')

if ($keep.Length -ne 40) {
    $module.FailJson("keep_thumbprint must be a SHA-1 thumbprint (40 hex digits); got '$($module.Params.keep_thumbprint)'. Pass the thumbprint of the certificate the broker should use.")
}
if (-not $friendlyName.StartsWith('RTVS broker ', [StringComparison]::OrdinalIgnoreCase)) {
    $module.FailJson("friendly_name must be this collection's 'RTVS broker <fqdn>'; got '$friendlyName'. Only certificates the collection made are removed.")
}
foreach ($item in $module.Params.remove) {
    if (-not $item.ContainsKey('store') -or -not $item.ContainsKey('thumbprint')) {
        $module.FailJson("remove[] entries need store and thumbprint; got '$($item.Keys -join ', ')'.")
    }
    if ($allowedStores -notcontains $item.store) {
        $module.FailJson("remove[].store may only be $($allowedStores -join ', ') (the stores the broker searches); got '$($item.store)'.")
    }
    if (($item.thumbprint -replace '[^0-9A-Fa-f]', '').Length -ne 40) {
        $module.FailJson("remove[].thumbprint must be 40 hex digits; got '$($item.thumbprint)'.")
    }
}

function Format-IsoDate {
    param([DateTime]$Date)
    return $Date.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
}

# Is the certificate to keep in My? Nothing is removed if not (not enforced in check mode, where the
# import before this did not happen).
$myStore = New-Object -TypeName System.Security.Cryptography.X509Certificates.X509Store -ArgumentList 'My', 'LocalMachine'
$myStore.Open('ReadOnly, OpenExistingOnly')
try {
    $keptInMy = ($myStore.Certificates.Find('FindByThumbprint', $keep, $false).Count -gt 0)
}
finally {
    $myStore.Close()
}
if ($module.Params.require_kept -and -not $keptInMy -and -not $module.CheckMode) {
    $module.FailJson("The certificate $keep is not in LocalMachine\My, so nothing was removed. Import it first or set require_kept=false.")
}

$removed = @()
$skipped = @()
$openFlags = 'ReadWrite, OpenExistingOnly'
if ($module.CheckMode) {
    $openFlags = 'ReadOnly, OpenExistingOnly'
}
foreach ($item in $module.Params.remove) {
    $thumbprint = ($item.thumbprint -replace '[^0-9A-Fa-f]', '').ToUpperInvariant()
    if ($thumbprint -eq $keep) {
        $skipped += @{ store = $item.store; thumbprint = $thumbprint; reason = 'it is the certificate to keep' }
        continue
    }
    $store = New-Object -TypeName System.Security.Cryptography.X509Certificates.X509Store -ArgumentList $item.store, 'LocalMachine'
    try {
        $store.Open($openFlags)
    }
    catch {
        $skipped += @{ store = $item.store; thumbprint = $thumbprint; reason = "store cannot be opened: $($_.Exception.Message)" }
        continue
    }
    try {
        foreach ($cert in @($store.Certificates.Find('FindByThumbprint', $thumbprint, $false))) {
            if (-not [string]::Equals($cert.FriendlyName, $friendlyName, [StringComparison]::OrdinalIgnoreCase)) {
                $skipped += @{ store = $item.store; thumbprint = $thumbprint; reason = "friendly name '$($cert.FriendlyName)' is not '$friendlyName'" }
                continue
            }
            $removed += @{
                store = $item.store
                thumbprint = $cert.Thumbprint
                subject = $cert.Subject
                friendly_name = $cert.FriendlyName
                not_after = Format-IsoDate -Date $cert.NotAfter
            }
            if (-not $module.CheckMode) {
                $store.Remove($cert)
            }
        }
    }
    finally {
        $store.Close()
    }
}

$module.Result.changed = ($removed.Count -gt 0)
$module.Result.removed = $removed
$module.Result.skipped = $skipped
$module.Result.kept_in_my = $keptInMy
$module.Diff.before = @{ removed = @() }
$module.Diff.after = @{ removed = @($removed | ForEach-Object { "$($_.store)\$($_.thumbprint)" }) }

$module.ExitJson()
